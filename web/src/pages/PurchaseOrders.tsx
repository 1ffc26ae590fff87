import { useContext, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Button, Descriptions, Drawer, Input, Modal, Select, Space, Tag, Timeline } from 'antd';
import { DataTable } from '../DataTable';
import { api, time, yuan } from '../api';
import { label, LangContext, paymentStatusLabels, payMethodLabels, poStateLabels, routeLabels, traceLabels, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

export default function PurchaseOrders({ user }: { user?: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const [state, setState] = useState<string>();
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<number>();
  const s = new URLSearchParams({ limit: '50' });
  if (state) s.set('state', state);
  if (q) s.set('q', q);
  if (cursors.length) s.set('cursor', cursors[cursors.length - 1]!);
  const { data, isFetching } = useQuery({
    queryKey: ['pos', s.toString()],
    queryFn: () => api('GET', `/api/purchase-orders?${s}`),
    placeholderData: (p) => p,
  });
  return (
    <Section title={t('Purchase orders')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('State')}
          placeholder={t('State')}
          allowClear
          style={{ width: 160 }}
          value={state}
          onChange={(v) => {
            setCursors([]);
            setState(v);
          }}
          options={Object.keys(poStateLabels).map((k) => ({ value: k, label: label(poStateLabels, k, lang) }))}
        />
        <Input.Search
          aria-label={t('Search')}
          placeholder={t('Supplier order')}
          allowClear
          onSearch={(v) => {
            setCursors([]);
            setQ(v.trim());
          }}
          style={{ width: 240 }}
        />
      </Space>
      <DataTable
        rowKey="id"
        size="small"
        loading={isFetching && !data}
        pagination={false}
        scroll={{ x: 900 }}
        dataSource={data?.purchaseOrders ?? []}
        columns={[
          {
            title: '#',
            dataIndex: 'id',
            render: (v: number) => (
              <a onClick={() => setOpen(v)} data-testid={`po-${v}`}>
                {v}
              </a>
            ),
          },
          { title: t('Orders'), dataIndex: 'shopOrderId', render: (v: number, r: any) => <Link to={`/orders/${v}`}>{r.wxOrderId}</Link> },
          { title: t('State'), dataIndex: 'state', render: (v: string) => <Tag>{label(poStateLabels, v, lang)}</Tag> },
          { title: t('Route'), dataIndex: 'route', render: (v: string) => label(routeLabels, v, lang) },
          { title: t('Supplier'), dataIndex: 'supplier' },
          { title: t('Supplier order'), dataIndex: 'supplierOrderId' },
          { title: t('Expected'), dataIndex: 'expectedAmount', render: yuan },
          {
            title: t('Read back'),
            render: (_: unknown, r: any) =>
              r.readbackOk === null ? (
                '—'
              ) : r.readbackOk ? (
                <Tag color="green">{yuan(r.supplierAmount)} ✓</Tag>
              ) : (
                <Tag color="red">{yuan(r.supplierAmount)} ≠</Tag>
              ),
          },
          { title: lang === 'zh' ? '创建时间' : 'Created', dataIndex: 'createdAt', render: time },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={!cursors.length} onClick={() => setCursors([])}>
          {t('First page')}
        </Button>
        <Button disabled={!data?.nextCursor} onClick={() => setCursors([...cursors, data.nextCursor])}>
          {t('Next page')}
        </Button>
      </Space>
      <Drawer
        open={open !== undefined}
        onClose={() => setOpen(undefined)}
        width={Math.min(640, window.innerWidth)}
        title={`${t('Purchase orders')} #${open ?? ''}`}
        destroyOnHidden
      >
        {open !== undefined && <PoDetail id={open} user={user} />}
      </Drawer>
    </Section>
  );
}

function PoDetail({ id, user }: { id: number; user?: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const { data } = useQuery({ queryKey: ['po', id], queryFn: () => api('GET', `/api/purchase-orders/${id}`) });
  if (!data) return null;
  const p = data.purchaseOrder;
  const open = !['Cancelled', 'Shipped', 'Completed', 'Shadowed'].includes(p.state);
  return (
    <div data-testid="po-detail">
      {user && can(user, 'operator') && open && <PoActions id={id} />}
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('State')}>{label(poStateLabels, p.state, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('Supplier')}>{p.supplier}</Descriptions.Item>
        <Descriptions.Item label={t('Route')}>{label(routeLabels, p.route, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('Supplier order')}>{p.supplierOrderId ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('Read-back check')}>
          {yuan(p.expectedAmount)} / {yuan(p.supplierAmount)}{' '}
          {p.supplierAmount !== null &&
            (Number(p.supplierAmount) === Number(p.expectedAmount) ? <Tag color="green">✓</Tag> : <Tag color="red">≠</Tag>)}
        </Descriptions.Item>
        <Descriptions.Item label={t('Orders')}>
          <Link to={`/orders/${data.order.id}`}>{data.order.wxOrderId}</Link>
        </Descriptions.Item>
      </Descriptions>
      <DataTable
        style={{ marginTop: 12 }}
        rowKey={(r: any) => `${r.lineNo}-${r.specId}`}
        size="small"
        pagination={false}
        dataSource={p.lines}
        columns={[
          { title: '#', dataIndex: 'lineNo' },
          { title: t('Offer'), dataIndex: 'title' },
          { title: lang === 'zh' ? '数量' : 'Qty', dataIndex: 'quantity' },
          { title: t('Amount'), dataIndex: 'unitPrice', render: yuan },
        ]}
      />
      <h4 style={{ marginTop: 16 }}>{t('Payments')}</h4>
      {data.payments.map((x: any) => (
        <div key={x.id}>
          #{x.id} {label(payMethodLabels, x.method, lang)} {yuan(x.amount)}{' '}
          <Tag data-status={x.status}>{label(paymentStatusLabels, x.status, lang)}</Tag> {x.supplier_trade_id ?? ''}
        </div>
      ))}
      <h4 style={{ marginTop: 16 }}>{t('Packages')}</h4>
      {data.packages.map((k: any) => (
        <div key={k.id}>
          <b>{k.courier}</b> <code>{k.waybill}</code>
          <Timeline
            style={{ marginTop: 8 }}
            items={k.trace.map((e: any) => ({ children: `${time(e.at)} ${label(traceLabels, e.status, lang)} ${e.remark ?? ''}` }))}
          />
        </div>
      ))}
      <h4 style={{ marginTop: 16 }}>{t('Communications')}</h4>
      {data.messages.map((m: any) => (
        <div key={m.id} style={{ whiteSpace: 'pre-wrap', borderLeft: '3px solid #eee', paddingLeft: 8, marginBottom: 8 }}>
          {time(m.created_at)} · {m.direction} · {m.subject}
          {'\n'}
          {m.body}
        </div>
      ))}
    </div>
  );
}

/**
 * 催发货 / 联系供应商 / 换供应商 on any open purchase order, without waiting for a case: the same actions a case offers.
 * Switching supplier cancels (or has the supplier refund) this order and places the lines elsewhere: asked first.
 */
function PoActions({ id }: { id: number }) {
  const { lang } = useContext(LangContext);
  const act = useAction();
  let text = '';
  return (
    <Space wrap style={{ marginBottom: 12 }} data-testid="po-actions">
      <Button
        onClick={() =>
          act.mutate({ method: 'POST', path: `/api/purchase-orders/${id}/expedite`, ok: lang === 'zh' ? '已催发货' : 'Expedited' })
        }
      >
        {lang === 'zh' ? '催发货' : 'Expedite'}
      </Button>
      <Button
        onClick={() =>
          Modal.confirm({
            title: lang === 'zh' ? '联系供应商' : 'Contact the supplier',
            content: <Input.TextArea aria-label={lang === 'zh' ? '内容' : 'Message'} rows={3} onChange={(e) => (text = e.target.value)} />,
            okText: lang === 'zh' ? '发送' : 'Send',
            cancelText: lang === 'zh' ? '返回' : 'Back',
            onOk: () =>
              act.mutateAsync({
                method: 'POST',
                path: `/api/purchase-orders/${id}/contact`,
                body: { body: text },
                ok: lang === 'zh' ? '已发送' : 'Sent',
              }),
          })
        }
      >
        {lang === 'zh' ? '联系供应商' : 'Contact the supplier'}
      </Button>
      <Button
        danger
        onClick={() =>
          Modal.confirm({
            title: lang === 'zh' ? '换供应商？' : 'Switch supplier?',
            content:
              lang === 'zh'
                ? '将取消此采购单（已付款的先向供应商申请退款），再把商品交给下一个供应商下单。'
                : 'This purchase order is cancelled (refund asked first if paid) and the lines are placed with the next supplier.',
            okText: lang === 'zh' ? '换供应商' : 'Switch',
            okButtonProps: { danger: true },
            cancelText: lang === 'zh' ? '返回' : 'Back',
            onOk: () =>
              act.mutateAsync({
                method: 'POST',
                path: `/api/purchase-orders/${id}/stock-out`,
                ok: lang === 'zh' ? '正在换供应商' : 'Switching',
              }),
          })
        }
      >
        {lang === 'zh' ? '换供应商' : 'Switch supplier'}
      </Button>
    </Space>
  );
}
