import { useQuery } from '@tanstack/react-query';
import { Tag } from 'antd';
import { DataTable } from '../DataTable';
import { api } from '../api';
import { useT } from '../i18n';
import { Section } from '../ui';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const hours = (v: number | null) => (v === null ? '—' : v.toFixed(1));

/** A tiny inline trend (orders per week, 8 weeks), drawn as SVG so the page needs no chart library. */
function Spark({ values }: { values: number[] }) {
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${i * 12},${24 - (v / max) * 22}`).join(' ');
  return (
    <svg width={96} height={26} role="img" aria-label={values.join(',')}>
      <polyline points={pts} fill="none" stroke="#07c160" strokeWidth={2} />
    </svg>
  );
}

const FLOW_LABEL: Record<string, string> = { general: 'Wholesale flow', saleproxy: 'Consignment flow', fenxiao: 'Distribution flow' };

export default function Suppliers() {
  const t = useT();
  const { data, isFetching } = useQuery({ queryKey: ['scorecards'], queryFn: () => api('GET', '/api/suppliers/scorecards') });
  return (
    <Section title={t('Suppliers')}>
      <DataTable
        rowKey="id"
        size="small"
        loading={isFetching && !data}
        pagination={false}
        scroll={{ x: 900 }}
        dataSource={data?.suppliers ?? []}
        columns={[
          {
            title: t('Supplier'),
            dataIndex: 'name',
            render: (v: string, r: any) => (
              <span>
                {v} <Tag>{r.kind}</Tag>
                {r.creditLevel && <Tag color="gold">{r.creditLevel}</Tag>}
                {r.purchaseFlow && (
                  <Tag title={r.purchaseFlowLearned ? t('Learned from the 1688 preview') : undefined}>
                    {t(FLOW_LABEL[r.purchaseFlow] ?? r.purchaseFlow)}
                  </Tag>
                )}
                {r.acceptsEncrypted && (
                  <Tag
                    color="orange"
                    title={t('The WeChat-to-1688 encrypted order contract is not published: used only for suppliers switched to it')}
                  >
                    {t('Encrypted orders (experimental)')}
                  </Tag>
                )}
              </span>
            ),
          },
          { title: t('Order count'), dataIndex: 'orders', sorter: (a: any, b: any) => a.orders - b.orders },
          { title: t('Dispatch p50 (h)'), dataIndex: 'dispatchHoursP50', render: hours },
          { title: t('Dispatch p80 (h)'), dataIndex: 'dispatchHoursP80', render: hours },
          { title: t('Transit p80 (h)'), dataIndex: 'transitHoursP80', render: hours },
          { title: t('Defect rate'), dataIndex: 'defectRate', render: pct },
          { title: t('Stock-out rate'), dataIndex: 'stockOutRate', render: pct },
          { title: t('Price drift'), dataIndex: 'priceDrift', render: pct },
          { title: t('Trend'), dataIndex: 'trend', render: (v: number[]) => <Spark values={v} /> },
        ]}
      />
    </Section>
  );
}
