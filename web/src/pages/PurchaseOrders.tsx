import { useContext, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Button, Input, Select, Space, Table, Tag } from 'antd';
import { api, time, yuan } from '../api';
import { label, LangContext, poStateLabels, useT } from '../i18n';
import { Section } from '../ui';

export default function PurchaseOrders() {
  const t = useT();
  const { lang } = useContext(LangContext);
  const [state, setState] = useState<string>();
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const s = new URLSearchParams({ limit: '50' });
  if (state) s.set('state', state);
  if (q) s.set('q', q);
  if (cursors.length) s.set('cursor', cursors[cursors.length - 1]!);
  const { data, isFetching } = useQuery({ queryKey: ['pos', s.toString()], queryFn: () => api('GET', `/api/purchase-orders?${s}`), placeholderData: (p) => p });
  return (
    <Section title={t('Purchase orders')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select aria-label={t('State')} placeholder={t('State')} allowClear style={{ width: 160 }} value={state} onChange={(v) => { setCursors([]); setState(v); }} options={Object.keys(poStateLabels).map((k) => ({ value: k, label: label(poStateLabels, k, lang) }))} />
        <Input.Search aria-label={t('Search')} placeholder={t('Supplier order')} allowClear onSearch={(v) => { setCursors([]); setQ(v.trim()); }} style={{ width: 240 }} />
      </Space>
      <Table rowKey="id" size="small" loading={isFetching && !data} pagination={false} scroll={{ x: 900 }} dataSource={data?.purchaseOrders ?? []} columns={[
        { title: '#', dataIndex: 'id' },
        { title: t('Orders'), dataIndex: 'shopOrderId', render: (v: number, r: any) => <Link to={`/orders/${v}`}>{r.wxOrderId}</Link> },
        { title: t('State'), dataIndex: 'state', render: (v: string) => <Tag>{label(poStateLabels, v, lang)}</Tag> },
        { title: t('Route'), dataIndex: 'route' },
        { title: t('Supplier'), dataIndex: 'supplier' },
        { title: t('Supplier order'), dataIndex: 'supplierOrderId' },
        { title: t('Expected'), dataIndex: 'expectedAmount', render: yuan },
        { title: t('Read back'), render: (_: unknown, r: any) => (r.readbackOk === null ? '—' : r.readbackOk ? <Tag color="green">{yuan(r.supplierAmount)} ✓</Tag> : <Tag color="red">{yuan(r.supplierAmount)} ≠</Tag>) },
        { title: lang === 'zh' ? '创建时间' : 'Created', dataIndex: 'createdAt', render: time },
      ]} />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={!cursors.length} onClick={() => setCursors([])}>{t('First page')}</Button>
        <Button disabled={!data?.nextCursor} onClick={() => setCursors([...cursors, data.nextCursor])}>{t('Next page')}</Button>
      </Space>
    </Section>
  );
}
