import { useContext, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, DatePicker, Input, Modal, Space, Tag } from 'antd';
import { DataTable } from '../DataTable';
import dayjs from 'dayjs';
import { api, time, yuan } from '../api';
import { differenceLabels, label, LangContext, paymentStatusLabels, resolutionLabel, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

const cnDay = (d: dayjs.Dayjs) => d.format('YYYY-MM-DD');
/** Today in China (the ledger's days are China days), whatever the browser's own time zone: api.ts's China clock. */
const chinaToday = () => dayjs(time(Date.now()).slice(0, 10));

export default function Money({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const all = useQuery({ queryKey: ['payments'], queryFn: () => api('GET', '/api/payments') });
  const [day, setDay] = useState(chinaToday);
  const from = cnDay(chinaToday().subtract(13, 'day'));
  const daily = useQuery({
    queryKey: ['daily', from],
    queryFn: () => api('GET', `/api/money/daily?from=${from}&to=${cnDay(chinaToday())}`),
  });
  const rec = useQuery({ queryKey: ['rec', cnDay(day)], queryFn: () => api('GET', `/api/money/reconciliation?day=${cnDay(day)}`) });
  const owner = can(user, 'owner');
  const reject = (id: number) => {
    let note = '';
    Modal.confirm({
      title: t('Reject payment'),
      content: <Input aria-label={t('Reason')} placeholder={t('Reason')} onChange={(e) => (note = e.target.value)} />,
      onOk: () => {
        if (!note.trim()) {
          Modal.error({ title: lang === 'zh' ? '请填写拒绝原因' : 'Please give a reason' });
          return Promise.reject(new Error('reason required'));
        }
        return act.mutateAsync({ method: 'POST', path: `/api/payments/${id}/reject`, body: { note }, ok: t('Saved') });
      },
    });
  };
  const payCols = [
    { title: '#', dataIndex: 'id' },
    { title: t('Purchase orders'), dataIndex: 'purchase_order_id' },
    { title: t('Amount'), dataIndex: 'amount', render: yuan },
    {
      title: t('State'),
      dataIndex: 'status',
      render: (s: string) => (
        <Tag color={s === 'Paid' ? 'green' : s === 'AwaitingApproval' ? 'orange' : undefined}>{label(paymentStatusLabels, s, lang)}</Tag>
      ),
    },
    { title: t('Reason'), dataIndex: 'reason' },
    { title: t('Paid at'), dataIndex: 'paid_at', render: time },
  ];
  return (
    <div>
      <ApprovalQueue owner={owner} onReject={reject} />
      <Section
        title={t('Daily reconciliation')}
        extra={
          <Space wrap>
            <DatePicker aria-label={t('Day')} value={day} onChange={(d) => d && setDay(d)} allowClear={false} />
            <a href={`/api/money/reconciliation?day=${cnDay(day)}&format=csv`}>{t('Export CSV')}</a>
            <a href={`/api/money/reconciliation?day=${cnDay(day)}&format=xlsx`}>{t('Export Excel')}</a>
          </Space>
        }
      >
        {rec.data && (
          <>
            <Alert
              type={rec.data.unexplained.length ? 'warning' : 'success'}
              message={`${t('Differences')}: ${rec.data.unexplained.length} · ${t('Revenue')} ${yuan(rec.data.totals.revenue)} · ${t('Supplier paid')} ${yuan(rec.data.totals.supplierPayments)} · ${t('Profit')} ${yuan(rec.data.totals.profit)}`}
              style={{ marginBottom: 8 }}
            />
            <DataTable
              rowKey="key"
              size="small"
              pagination={{ pageSize: 50, showSizeChanger: false }}
              scroll={{ x: 700 }}
              dataSource={[
                ...rec.data.unexplained.map((d: any) => ({ ...d, ok: false })),
                ...rec.data.explained.map((d: any) => ({ ...d, ok: true })),
              ].map((d, key) => ({ ...d, key }))}
              columns={[
                { title: t('Kind'), dataIndex: 'kind', render: (v: string) => label(differenceLabels, v, lang) },
                {
                  title: t('Orders'),
                  dataIndex: 'shopOrderId',
                  render: (v: number, r: any) => <Link to={`/orders/${v}`}>{r.wxOrderId}</Link>,
                },
                { title: t('Expected'), dataIndex: 'expected', render: yuan },
                { title: t('Amount'), dataIndex: 'actual', render: yuan },
                { title: t('Note'), render: (_: unknown, r: any) => (r.explanation ? resolutionLabel(r.explanation, lang) : r.message) },
                {
                  title: '✓',
                  dataIndex: 'ok',
                  render: (v: boolean) => (v ? <Tag color="green">{t('Resolve')}</Tag> : <Tag color="red">!</Tag>),
                },
              ]}
            />
          </>
        )}
      </Section>
      <Section title={t('Ledger')}>
        <DataTable
          rowKey="day"
          size="small"
          pagination={false}
          scroll={{ x: 700 }}
          dataSource={daily.data?.days ?? []}
          columns={[
            { title: t('Day'), dataIndex: 'day' },
            { title: t('Revenue'), dataIndex: 'revenue', render: yuan },
            { title: t('Supplier paid'), dataIndex: 'supplierPaid', render: yuan },
            { title: t('Refunds to buyers'), dataIndex: 'refundsToBuyer', render: yuan },
            { title: t('Platform commission'), dataIndex: 'commission', render: yuan },
            { title: t('Profit'), dataIndex: 'profit', render: yuan },
          ]}
        />
      </Section>
      <Section title={t('Payments')}>
        <DataTable
          rowKey="id"
          size="small"
          pagination={{ pageSize: 20 }}
          scroll={{ x: 700 }}
          dataSource={all.data?.payments ?? []}
          columns={payCols}
          expandable={{ expandedRowRender: (p: any) => <Vouchers paymentId={p.id} /> }}
        />
      </Section>
    </div>
  );
}

function Vouchers({ paymentId }: { paymentId: number }) {
  const t = useT();
  const { data } = useQuery({ queryKey: ['vouchers', paymentId], queryFn: () => api('GET', `/api/payments/${paymentId}/vouchers`) });
  if (!data?.vouchers?.length) return <span>—</span>;
  return (
    <ul>
      {data.vouchers.map((v: any) => (
        <li key={v.id}>
          <a href={`/api/vouchers/${v.id}`}>
            {t('Download')} {v.file_name ?? v.fileName}
          </a>{' '}
          · {v.mime} · {v.size} B · sha256 {String(v.sha256).slice(0, 12)}…
        </li>
      ))}
    </ul>
  );
}

/**
 * 待审批付款 as an owner decides them: the WeChat order, the product, the supplier, the amount and the margin left;
 * the queue's count and total; pages of 50; several approved at once, after a confirmation with their total.
 */
function ApprovalQueue({ owner, onReject }: { owner: boolean; onReject: (id: number) => void }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const [cursors, setCursors] = useState<number[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const cursor = cursors[cursors.length - 1];
  const q = useQuery({
    queryKey: ['approvals', cursor],
    queryFn: () => api('GET', `/api/payments/approvals?limit=50${cursor ? `&cursor=${cursor}` : ''}`),
  });
  const rows: any[] = q.data?.payments ?? [];
  const chosen = rows.filter((r) => selected.includes(r.id));
  const chosenTotal = chosen.reduce((s, r) => s + r.amount, 0);
  const approveChosen = () =>
    Modal.confirm({
      title:
        lang === 'zh'
          ? `批准 ${chosen.length} 笔付款，共 ${yuan(chosenTotal)}？`
          : `Approve ${chosen.length} payments, ${yuan(chosenTotal)} in all?`,
      content:
        lang === 'zh'
          ? `将向供应商付款 ${yuan(chosenTotal)}（毛利合计 ${yuan(chosen.reduce((s, r) => s + r.margin, 0))}）。`
          : `Pays the suppliers ${yuan(chosenTotal)} (margin ${yuan(chosen.reduce((s, r) => s + r.margin, 0))}).`,
      okText: lang === 'zh' ? `批准 ${chosen.length} 笔` : `Approve ${chosen.length}`,
      cancelText: lang === 'zh' ? '返回' : 'Back',
      onOk: async () => {
        await act.mutateAsync({
          method: 'POST',
          path: '/api/payments/approve-batch',
          body: { paymentIds: chosen.map((r) => r.id) },
          ok: t('Saved'),
        });
        setSelected([]);
      },
    });
  return (
    <Section
      title={`${t('Awaiting approval')} (${q.data?.count ?? 0}${q.data?.total ? ` · ${yuan(q.data.total)}` : ''})`}
      extra={
        owner && (
          <Button type="primary" disabled={!chosen.length} onClick={approveChosen}>
            {lang === 'zh'
              ? `批准所选（${chosen.length} 笔 ${yuan(chosenTotal)}）`
              : `Approve selected (${chosen.length}, ${yuan(chosenTotal)})`}
          </Button>
        )
      }
    >
      <DataTable
        rowKey="id"
        size="small"
        loading={q.isFetching && !q.data}
        pagination={false}
        scroll={{ x: 900 }}
        dataSource={rows}
        rowSelection={owner ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys as number[]) } : undefined}
        columns={[
          {
            title: lang === 'zh' ? '微信订单号' : 'WeChat order',
            dataIndex: 'wxOrderId',
            render: (v: string, r: any) => <Link to={`/orders/${r.shopOrderId}`}>{v}</Link>,
          },
          { title: lang === 'zh' ? '商品' : 'Product', dataIndex: 'product' },
          { title: t('Supplier'), dataIndex: 'supplier' },
          { title: t('Amount'), dataIndex: 'amount', render: yuan },
          {
            title: lang === 'zh' ? '毛利' : 'Margin',
            dataIndex: 'margin',
            render: (v: number) => <span style={{ color: v < 0 ? '#cf1322' : undefined }}>{yuan(v)}</span>,
          },
          { title: t('Reason'), dataIndex: 'reason' },
          {
            title: t('Actions'),
            render: (_: unknown, p: any) =>
              owner && (
                <Space wrap>
                  <Button
                    type="primary"
                    size="small"
                    onClick={() =>
                      act.mutate({ method: 'POST', path: `/api/payments/${p.id}/approve`, body: { note: 'dashboard' }, ok: t('Saved') })
                    }
                  >
                    {t('Approve')}
                  </Button>
                  <Button danger size="small" onClick={() => onReject(p.id)}>
                    {t('Reject')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      <Space style={{ marginTop: 8 }}>
        {cursors.length > 0 && <Button onClick={() => setCursors([])}>{t('First page')}</Button>}
        {q.data?.nextCursor && <Button onClick={() => setCursors([...cursors, q.data.nextCursor])}>{t('Next page')}</Button>}
      </Space>
    </Section>
  );
}
