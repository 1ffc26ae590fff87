import { useContext, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, DatePicker, Input, Modal, Space, Table, Tag } from 'antd';
import dayjs from 'dayjs';
import { api, time, yuan } from '../api';
import { label, LangContext, ledgerKindLabels, paymentStatusLabels, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

const cnDay = (d: dayjs.Dayjs) => d.format('YYYY-MM-DD');

export default function Money({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const waiting = useQuery({ queryKey: ['payments', 'AwaitingApproval'], queryFn: () => api('GET', '/api/payments?status=AwaitingApproval') });
  const all = useQuery({ queryKey: ['payments'], queryFn: () => api('GET', '/api/payments') });
  const [day, setDay] = useState(dayjs());
  const from = cnDay(dayjs().subtract(13, 'day'));
  const daily = useQuery({ queryKey: ['daily', from], queryFn: () => api('GET', `/api/money/daily?from=${from}&to=${cnDay(dayjs())}`) });
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
    { title: t('State'), dataIndex: 'status', render: (s: string) => <Tag color={s === 'Paid' ? 'green' : s === 'AwaitingApproval' ? 'orange' : undefined}>{label(paymentStatusLabels, s, lang)}</Tag> },
    { title: t('Reason'), dataIndex: 'reason' },
    { title: t('Paid at'), dataIndex: 'paid_at', render: time },
  ];
  return (
    <div>
      <Section title={`${t('Awaiting approval')} (${waiting.data?.payments.length ?? 0})`}>
        <Table rowKey="id" size="small" pagination={false} scroll={{ x: 700 }} dataSource={waiting.data?.payments ?? []} columns={[
          ...payCols,
          { title: t('Actions'), render: (_: unknown, p: any) => owner && (
            <Space>
              <Button type="primary" size="small" onClick={() => act.mutate({ method: 'POST', path: `/api/payments/${p.id}/approve`, body: { note: 'dashboard' }, ok: t('Saved') })}>{t('Approve')}</Button>
              <Button danger size="small" onClick={() => reject(p.id)}>{t('Reject')}</Button>
            </Space>
          ) },
        ]} />
      </Section>
      <Section title={t('Daily reconciliation')} extra={
        <Space wrap>
          <DatePicker aria-label={t('Day')} value={day} onChange={(d) => d && setDay(d)} allowClear={false} />
          <a href={`/api/money/reconciliation?day=${cnDay(day)}&format=csv`}>{t('Export CSV')}</a>
          <a href={`/api/money/reconciliation?day=${cnDay(day)}&format=xlsx`}>{t('Export Excel')}</a>
        </Space>
      }>
        {rec.data && (
          <>
            <Alert type={rec.data.unexplained.length ? 'warning' : 'success'} message={`${t('Differences')}: ${rec.data.unexplained.length} · ${t('Revenue')} ${yuan(rec.data.totals.revenue)} · ${t('Supplier paid')} ${yuan(rec.data.totals.supplierPayments)} · ${t('Profit')} ${yuan(rec.data.totals.profit)}`} style={{ marginBottom: 8 }} />
            <Table rowKey={(_r, i) => String(i)} size="small" pagination={false} scroll={{ x: 700 }} dataSource={[...rec.data.unexplained.map((d: any) => ({ ...d, ok: false })), ...rec.data.explained.map((d: any) => ({ ...d, ok: true }))]} columns={[
              { title: t('Kind'), dataIndex: 'kind', render: (v: string) => label(ledgerKindLabels, v, lang) },
              { title: t('Orders'), dataIndex: 'shopOrderId', render: (v: number, r: any) => <Link to={`/orders/${v}`}>{r.wxOrderId}</Link> },
              { title: t('Expected'), dataIndex: 'expected', render: yuan },
              { title: t('Amount'), dataIndex: 'actual', render: yuan },
              { title: t('Note'), render: (_: unknown, r: any) => r.explanation ?? r.message },
              { title: '✓', dataIndex: 'ok', render: (v: boolean) => (v ? <Tag color="green">{t('Resolve')}</Tag> : <Tag color="red">!</Tag>) },
            ]} />
          </>
        )}
      </Section>
      <Section title={t('Ledger')}>
        <Table rowKey="day" size="small" pagination={false} scroll={{ x: 700 }} dataSource={daily.data?.days ?? []} columns={[
          { title: t('Day'), dataIndex: 'day' },
          { title: t('Revenue'), dataIndex: 'revenue', render: yuan },
          { title: t('Supplier paid'), dataIndex: 'supplierPaid', render: yuan },
          { title: 'Refunds', dataIndex: 'refundsToBuyer', render: yuan },
          { title: 'Commission', dataIndex: 'commission', render: yuan },
          { title: t('Profit'), dataIndex: 'profit', render: yuan },
        ]} />
      </Section>
      <Section title={t('Payments')}>
        <Table rowKey="id" size="small" pagination={{ pageSize: 20 }} scroll={{ x: 700 }} dataSource={all.data?.payments ?? []} columns={payCols} expandable={{ expandedRowRender: (p: any) => <Vouchers paymentId={p.id} /> }} />
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
          <a href={`/api/vouchers/${v.id}`}>{t('Download')} {v.file_name ?? v.fileName}</a> · {v.mime} · {v.size} B · sha256 {String(v.sha256).slice(0, 12)}…
        </li>
      ))}
    </ul>
  );
}
