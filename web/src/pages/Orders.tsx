import { useContext, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Button, DatePicker, Input, Modal, Radio, Select, Space, Tag, Typography } from 'antd';
import { DataTable } from '../DataTable';
import type { Dayjs } from 'dayjs';
import { api, timeS, yuan } from '../api';
import { label, LangContext, orderStateLabels, reviewReasonLabels, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

export default function Orders({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? '';
  const [q, setQ] = useState('');
  const [shopId, setShopId] = useState<number>();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const act = useAction();
  // The state tabs count the chosen shop's orders.
  const stats = useQuery({ queryKey: ['stats', shopId], queryFn: () => api('GET', shopId ? `/api/stats?shopId=${shopId}` : '/api/stats') });
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api('GET', '/api/shops') });
  const cursor = cursors[cursors.length - 1];
  const search = new URLSearchParams();
  if (state) search.set('state', state);
  if (q) search.set('q', q);
  if (shopId) search.set('shopId', String(shopId));
  if (range?.[0]) search.set('from', String(range[0].startOf('day').valueOf()));
  if (range?.[1]) search.set('to', String(range[1].endOf('day').valueOf()));
  if (cursor) search.set('cursor', cursor);
  search.set('limit', '50');
  const list = useQuery({
    queryKey: ['orders', search.toString()],
    queryFn: () => api('GET', `/api/orders?${search}`),
    placeholderData: (prev) => prev,
  });
  const byState: Record<string, number> = stats.data?.shopOrders.byState ?? {};
  const total: number = list.data?.total ?? 0;
  const multiShop = (shops.data?.shops ?? []).length > 1;
  const exportQuery = (() => {
    const e = new URLSearchParams(search);
    e.delete('cursor');
    e.delete('limit');
    return e.toString();
  })();
  const reset = () => {
    setCursors([]);
    setSelected([]);
  };
  return (
    <Section title={t('Orders')}>
      {/* The states as one row of radio buttons that wraps on a phone (a tab strip overflowed and was not accessible). */}
      <Radio.Group
        aria-label={t('State')}
        optionType="button"
        buttonStyle="solid"
        style={{ marginBottom: 12, display: 'flex', flexWrap: 'wrap', rowGap: 6 }}
        value={state || 'all'}
        onChange={(e) => {
          reset();
          setParams(e.target.value === 'all' ? {} : { state: e.target.value });
        }}
        options={[
          { value: 'all', label: `${t('All')} ${stats.data?.shopOrders.total ?? ''}` },
          ...Object.keys(orderStateLabels).map((s) => ({ value: s, label: `${label(orderStateLabels, s, lang)} ${byState[s] ?? 0}` })),
        ]}
      />
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          aria-label={t('Search')}
          placeholder={t('Order id, product or buyer')}
          allowClear
          onSearch={(v) => {
            reset();
            setQ(v.trim());
          }}
          style={{ width: 260 }}
        />
        <Select
          aria-label={t('Shop')}
          placeholder={t('Shop')}
          allowClear
          style={{ width: 180 }}
          value={shopId}
          onChange={(v) => {
            reset();
            setShopId(v);
          }}
          options={(shops.data?.shops ?? []).map((s: any) => ({ value: s.id, label: s.name }))}
        />
        <DatePicker.RangePicker
          aria-label={t('Paid at')}
          value={range}
          onChange={(v) => {
            reset();
            setRange(v);
          }}
        />
        {state === 'NeedsReview' && can(user, 'operator') && (
          <Button
            disabled={!selected.length}
            onClick={() =>
              // Never unconfirmed: the person sees how many orders go to suppliers as bought, and that notes are not carried out.
              Modal.confirm({
                title:
                  lang === 'zh'
                    ? `确认 ${selected.length} 个订单并向供应商下单？`
                    : `Confirm ${selected.length} orders and order from suppliers?`,
                content:
                  lang === 'zh'
                    ? '每个订单都按买家所拍规格下单；买家留言中的修改要求不会执行——有留言的订单请逐个打开处理。'
                    : 'Each order is placed exactly as bought; change requests in buyer notes are not carried out — open orders with notes one by one.',
                okText: lang === 'zh' ? `确认 ${selected.length} 个订单` : `Confirm ${selected.length} orders`,
                cancelText: lang === 'zh' ? '返回' : 'Back',
                onOk: async () => {
                  for (const id of selected)
                    await act
                      .mutateAsync({
                        method: 'POST',
                        path: `/api/orders/${id}/review`,
                        body: { decision: 'confirm', note: lang === 'zh' ? '批量确认' : 'bulk confirm' },
                      })
                      .catch(() => undefined);
                  setSelected([]);
                },
              })
            }
          >
            {t('Confirm selected')} ({selected.length})
          </Button>
        )}
      </Space>
      <Space style={{ marginBottom: 8 }} wrap>
        <Typography.Text data-testid="order-count">{lang === 'zh' ? `共 ${total} 单` : `${total} orders`}</Typography.Text>
        <a href={`/api/orders/export?${exportQuery}`}>{t('Export CSV')}</a>
      </Space>
      <DataTable
        rowKey="id"
        size="small"
        loading={list.isFetching && !list.data}
        dataSource={list.data?.orders ?? []}
        pagination={false}
        scroll={{ x: 800 }}
        rowSelection={
          state === 'NeedsReview' && can(user, 'operator')
            ? { selectedRowKeys: selected, onChange: (k) => setSelected(k as number[]) }
            : undefined
        }
        columns={[
          {
            title: lang === 'zh' ? '微信订单号' : 'WeChat order',
            dataIndex: 'wxOrderId',
            render: (v: string, r: any) => <Link to={`/orders/${r.id}`}>{v}</Link>,
          },
          { title: lang === 'zh' ? '商品' : 'Products', dataIndex: 'products', ellipsis: true },
          ...(multiShop ? [{ title: t('Shop'), dataIndex: 'shopName' }] : []),
          {
            title: t('State'),
            dataIndex: 'state',
            render: (s: string) => <Tag color={STATE_COLOURS[s]}>{label(orderStateLabels, s, lang)}</Tag>,
          },
          { title: t('Amount'), dataIndex: 'orderPrice', render: yuan, sorter: (a: any, b: any) => a.orderPrice - b.orderPrice },
          {
            title: lang === 'zh' ? '最晚发货' : 'Ship by',
            dataIndex: 'shipBy',
            sorter: (a: any, b: any) => (a.shipBy ?? Infinity) - (b.shipBy ?? Infinity),
            // Red within a day of the ship-by time while not shipped yet.
            render: (s: number | null, r: any) => (
              <span
                style={{
                  color:
                    s && !['Shipped', 'Completed', 'Cancelled'].includes(r.state) && s * 1000 - Date.now() < 86_400_000
                      ? '#cf1322'
                      : undefined,
                }}
              >
                {timeS(s)}
              </span>
            ),
          },
          { title: t('Receiver'), dataIndex: 'receiver' },
          { title: t('Paid at'), dataIndex: 'payTime', render: timeS, sorter: (a: any, b: any) => (a.payTime ?? 0) - (b.payTime ?? 0) },
          {
            title: t('Review reasons'),
            dataIndex: 'reviewReasons',
            render: (r: string[]) => r.map((x) => <Tag key={x}>{label(reviewReasonLabels, x, lang)}</Tag>),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={!cursors.length} onClick={() => setCursors([])}>
          {t('First page')}
        </Button>
        <Button disabled={!list.data?.nextCursor} onClick={() => setCursors([...cursors, list.data.nextCursor])}>
          {t('Next page')}
        </Button>
      </Space>
    </Section>
  );
}

/** State colours by urgency: waiting for a person orange, in progress blue, done green, cancelled grey. */
const STATE_COLOURS: Record<string, string> = {
  NeedsReview: 'orange',
  AwaitingBuyer: 'orange',
  Received: 'blue',
  Confirmed: 'blue',
  Sourced: 'blue',
  Purchasing: 'blue',
  Fulfilling: 'blue',
  PartiallyShipped: 'cyan',
  Shipped: 'green',
  Completed: 'green',
  Cancelled: 'default',
};
