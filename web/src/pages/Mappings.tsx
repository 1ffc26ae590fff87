import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, InputNumber, Select, Space, Switch, Upload } from 'antd';
import { DataTable } from '../DataTable';
import { api, yuan } from '../api';
import { useT } from '../i18n';
import { CaseActions, type CaseRow } from '../CaseActions';
import { can, Section, useAction, type User } from '../ui';

export default function Mappings({ user }: { user: User }) {
  const t = useT();
  const act = useAction();
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api('GET', '/api/shops') });
  const [shopId, setShopId] = useState<number>();
  useEffect(() => {
    if (!shopId && shops.data?.shops?.length) setShopId(shops.data.shops[0].id);
  }, [shops.data, shopId]);
  const rows = useQuery({
    queryKey: ['mappings', shopId],
    enabled: !!shopId,
    queryFn: () => api('GET', `/api/shops/${shopId}/mappings/rows`),
  });
  const [result, setResult] = useState<{ imported: number; errors: { row: number; column: string; message: string }[] }>();
  const edit = can(user, 'operator');
  const unmapped = useQuery({ queryKey: ['cases', 'UNMAPPED'], queryFn: () => api('GET', '/api/cases?state=Open&kind=UNMAPPED') });
  const patch = (id: number, body: object) => act.mutate({ method: 'PATCH', path: `/api/mappings/${id}`, body });
  return (
    <>
      {unmapped.data?.cases?.length > 0 && (
        <Section title={`${t('Suggestions to approve')} (${unmapped.data.cases.length})`}>
          {unmapped.data.cases.map((c: CaseRow) => (
            <div key={c.id} data-testid={`unmapped-${c.id}`} style={{ borderBottom: '1px solid #f0f0f0', padding: '8px 0' }}>
              <div style={{ marginBottom: 6 }}>{c.message}</div>
              <CaseActions c={c} user={user} />
            </div>
          ))}
        </Section>
      )}
      <Section
        title={t('Mappings')}
        extra={
          <Space wrap>
            <Select
              aria-label={t('Shop')}
              style={{ width: 200 }}
              value={shopId}
              onChange={setShopId}
              options={(shops.data?.shops ?? []).map((s: any) => ({ value: s.id, label: s.name }))}
            />
            {shopId && <a href={`/api/shops/${shopId}/mappings?format=csv`}>{t('Export CSV')}</a>}
            {shopId && <a href={`/api/shops/${shopId}/mappings?format=xlsx`}>{t('Export Excel')}</a>}
            {edit && shopId && (
              <Upload
                accept=".xlsx,.csv"
                showUploadList={false}
                customRequest={async ({ file, onSuccess, onError }) => {
                  try {
                    const f = file as File;
                    const type = f.name.endsWith('.csv') ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
                    const r = await api('POST', `/api/shops/${shopId}/mappings`, undefined, {
                      raw: await f.arrayBuffer(),
                      contentType: type,
                    });
                    setResult(r);
                    void rows.refetch();
                    onSuccess?.(r);
                  } catch (e) {
                    setResult({ imported: 0, errors: [{ row: 0, column: '', message: (e as Error).message }] });
                    onError?.(e as Error);
                  }
                }}
              >
                <Button type="primary">{t('Import workbook')}</Button>
              </Upload>
            )}
          </Space>
        }
      >
        {result && (
          <Alert
            data-testid="import-result"
            style={{ marginBottom: 12 }}
            type={result.errors.length ? 'warning' : 'success'}
            closable
            onClose={() => setResult(undefined)}
            message={`${result.imported} ✓${result.errors.length ? ` · ${t('Row errors')}: ${result.errors.length}` : ''}`}
            description={
              result.errors.length ? (
                <ul style={{ margin: 0 }}>
                  {result.errors.slice(0, 50).map((e, i) => (
                    <li key={i}>
                      {e.row ? `第 ${e.row} 行 row ${e.row}` : ''} {e.column} — {e.message}
                    </li>
                  ))}
                </ul>
              ) : undefined
            }
          />
        )}
        <DataTable
          rowKey="id"
          size="small"
          loading={rows.isFetching && !rows.data}
          pagination={{ pageSize: 50 }}
          scroll={{ x: 900 }}
          dataSource={rows.data?.mappings ?? []}
          columns={[
            { title: 'Product', dataIndex: 'product_id' },
            { title: 'SKU', dataIndex: 'sku_id' },
            { title: t('Supplier'), dataIndex: 'supplier' },
            { title: t('Offer'), render: (_: unknown, r: any) => `${r.title} (${r.offer_id})` },
            { title: t('Amount'), dataIndex: 'unit_price', render: yuan },
            {
              title: t('Per unit'),
              dataIndex: 'quantity_per_unit',
              render: (v: number, r: any) =>
                edit ? (
                  <InputNumber
                    aria-label={t('Per unit')}
                    size="small"
                    min={1}
                    max={10000}
                    defaultValue={v}
                    onBlur={(e) => {
                      const n = Number(e.target.value);
                      if (n && n !== v) patch(r.id, { quantityPerUnit: n });
                    }}
                  />
                ) : (
                  v
                ),
            },
            {
              title: t('Priority'),
              dataIndex: 'priority',
              render: (v: number, r: any) =>
                edit ? (
                  <InputNumber
                    aria-label={t('Priority')}
                    size="small"
                    min={-100}
                    max={100}
                    defaultValue={v}
                    onBlur={(e) => {
                      const n = Number(e.target.value);
                      if (n !== v) patch(r.id, { priority: n });
                    }}
                  />
                ) : (
                  v
                ),
            },
            {
              title: t('Enabled'),
              dataIndex: 'enabled',
              render: (v: boolean, r: any) => (
                <Switch aria-label={t('Enabled')} size="small" checked={v} disabled={!edit} onChange={(c) => patch(r.id, { enabled: c })} />
              ),
            },
          ]}
        />
      </Section>
    </>
  );
}
