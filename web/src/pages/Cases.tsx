import { useContext, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Modal, Segmented, Select, Space, Spin, Tag, Typography } from 'antd';
import { ageText, api, time, yuan } from '../api';
import { CaseActions, type CaseRow } from '../CaseActions';
import { caseKindLabels, label, LangContext, resolutionLabel, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

/** 异常 inbox: open cases oldest first, handled ones newest first, by kind, in pages; cards so it works on a 375-px phone. */
export default function Cases({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  // A 待办 link opens the inbox already filtered (/cases?kind=PRICE_CHANGED).
  const [params] = useSearchParams();
  const [kind, setKind] = useState<string | undefined>(params.get('kind') ?? undefined);
  const act = useAction();
  const [state, setState] = useState('Open');
  const [shopId, setShopId] = useState<number>();
  const [cursors, setCursors] = useState<string[]>([]);
  const q = new URLSearchParams({ state, limit: '100' });
  if (kind) q.set('kind', kind);
  if (shopId) q.set('shopId', String(shopId));
  if (cursors.length) q.set('cursor', cursors[cursors.length - 1]!);
  const { data } = useQuery({ queryKey: ['cases', q.toString()], queryFn: () => api('GET', `/api/cases?${q}`) });
  // A new filter starts at the first page.
  const refilter =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setCursors([]);
      set(v);
    };
  const stats = useQuery({ queryKey: ['stats', shopId], queryFn: () => api('GET', shopId ? `/api/stats?shopId=${shopId}` : '/api/stats') });
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api('GET', '/api/shops') });
  const byKind: Record<string, number> = stats.data?.openCases.byKind ?? {};
  return (
    <Section title={`${t('Open cases')} ${stats.data?.openCases.total ?? ''}`}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented
          value={state}
          onChange={(v) => refilter(setState)(v as string)}
          options={[
            { value: 'Open', label: lang === 'zh' ? '待处理' : 'Open' },
            { value: 'Resolved', label: lang === 'zh' ? '已处理' : 'Resolved' },
            { value: 'Dismissed', label: lang === 'zh' ? '已忽略' : 'Dismissed' },
          ]}
        />
        {(shops.data?.shops ?? []).length > 1 && (
          <Select
            aria-label={t('Shop')}
            placeholder={t('Shop')}
            allowClear
            style={{ width: 180 }}
            value={shopId}
            onChange={refilter(setShopId)}
            options={(shops.data?.shops ?? []).map((s: any) => ({ value: s.id, label: s.name }))}
          />
        )}
        <Select
          aria-label={t('Kind')}
          placeholder={t('Kind')}
          allowClear
          style={{ width: 220 }}
          value={kind}
          onChange={refilter(setKind)}
          options={Object.keys(caseKindLabels).map((k) => ({
            value: k,
            label: `${label(caseKindLabels, k, lang)}${byKind[k] ? ` (${byKind[k]})` : ''}`,
          }))}
        />
      </Space>
      {data && kind === 'PRICE_CHANGED' && state === 'Open' && can(user, 'owner') && data.cases.length > 0 && (
        <Button
          type="primary"
          style={{ marginBottom: 12 }}
          onClick={() =>
            Modal.confirm({
              title:
                lang === 'zh'
                  ? `接受这 ${data.cases.length} 个采购单的新价格？`
                  : `Accept the new price of these ${data.cases.length} purchase orders?`,
              content:
                lang === 'zh'
                  ? '每一个都按新价格付款（仍受付款限额与审批约束）；接受后毛利低于下限的不会被接受，会逐个列出。'
                  : 'Each is paid at its new price (limits and approval still apply); any whose margin would fall below the floor is left and listed.',
              okText: lang === 'zh' ? `接受 ${data.cases.length} 个` : `Accept ${data.cases.length}`,
              cancelText: lang === 'zh' ? '返回' : 'Back',
              onOk: () =>
                act.mutateAsync({
                  method: 'POST',
                  path: '/api/cases/accept-price-batch',
                  body: { caseIds: data.cases.map((c: CaseRow) => c.id) },
                  ok: lang === 'zh' ? '已接受新价格' : 'Accepted',
                }),
            })
          }
        >
          {lang === 'zh' ? `全部接受新价格（本页 ${data.cases.length} 个）` : `Accept all new prices (${data.cases.length} on this page)`}
        </Button>
      )}
      {!data ? (
        <Spin />
      ) : data.cases.length === 0 ? (
        <Empty description={t('Nothing waiting')} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          {data.cases.map((c: CaseRow & { created_at: number; resolution?: string }) => (
            <Card
              key={c.id}
              size="small"
              data-testid={`case-${c.id}`}
              title={
                <Space wrap>
                  <Tag color="orange">{label(caseKindLabels, c.kind, lang)}</Tag>
                  <span>#{c.id}</span>
                </Space>
              }
              extra={
                <Typography.Text type="secondary">
                  {t('Age')} {ageText(c.created_at, lang)}
                </Typography.Text>
              }
            >
              <CaseBody c={c} lang={lang} />
              {c.shop_order_id && (
                <Typography.Paragraph>
                  <Link to={`/orders/${c.shop_order_id}`}>
                    {t('Order detail')} #{c.shop_order_id}
                  </Link>
                </Typography.Paragraph>
              )}
              {c.resolution && <Typography.Paragraph type="secondary">→ {resolutionLabel(c.resolution, lang)}</Typography.Paragraph>}
              <CaseActions c={c} user={user} />
            </Card>
          ))}
        </Space>
      )}
      {(cursors.length > 0 || data?.nextCursor) && (
        <Space style={{ marginTop: 12 }}>
          <Button disabled={!cursors.length} onClick={() => setCursors([])}>
            {t('First page')}
          </Button>
          <Button disabled={!data?.nextCursor} onClick={() => setCursors([...cursors, data.nextCursor])}>
            {t('Next page')}
          </Button>
        </Space>
      )}
    </Section>
  );
}

/** Consent cases: a message for the merchant to paste to the buyer in 微信小店's chat. */
const CONSENT_KINDS = ['SPECIAL_REQUEST_CONSENT', 'SUBSTITUTE_CONSENT'];

/**
 * A case card's body, the merchant's way: what the buyer asked for first, then the case in words, then the order it
 * is about — the WeChat order number (copyable: it is what the back office searches), products, amount, ship-by
 * (red within a day) — and, for a question to the buyer, a message to paste.
 */
function CaseBody({ c, lang }: { c: any; lang: string }) {
  const o = c.order as
    { wxOrderId: string; products: string; amount: number; shipBy: number | null; buyerNotes: string; requests: string } | undefined;
  const soon = o?.shipBy ? o.shipBy - Date.now() < 24 * 3_600_000 : false;
  const asked = o?.requests || o?.buyerNotes;
  return (
    <div>
      {asked && (
        <Typography.Paragraph strong style={{ marginBottom: 4 }}>
          {lang === 'zh' ? `买家要求：${asked}` : `The buyer asked: ${asked}`}
        </Typography.Paragraph>
      )}
      <Typography.Paragraph style={{ marginBottom: 8 }}>{c.message}</Typography.Paragraph>
      {o && (
        <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }} data-testid="order-of-case">
          {lang === 'zh' ? '微信订单号 ' : 'WeChat order '}
          <Typography.Text copyable={{ text: o.wxOrderId }}>{o.wxOrderId}</Typography.Text>
          {' · '}
          {o.products}
          {' · '}
          {yuan(o.amount)}
          {o.shipBy && (
            <span style={{ color: soon ? '#cf1322' : undefined }}>
              {lang === 'zh' ? ` · 最晚发货 ${time(o.shipBy)}` : ` · ship by ${time(o.shipBy)}`}
            </span>
          )}
        </Typography.Paragraph>
      )}
      {o && CONSENT_KINDS.includes(c.kind) && (
        <Typography.Paragraph copyable style={{ background: '#f6ffed', padding: 8, borderRadius: 6 }} data-testid="buyer-message">
          {lang === 'zh'
            ? `您好！您的订单（${o.products}）${asked ? `备注「${asked}」` : ''}，目前我们合作的发货方暂时无法按此要求安排。可以为您换一种方式尽快发出吗？回复“可以”我们马上安排，回复“不用”我们为您全额退款。`
            : `Hello! Your order (${o.products})${asked ? ` asks "${asked}"` : ''}, which our shippers cannot arrange right now. May we send it another way, as soon as possible? Reply "yes" and we ship at once, or "no" and we refund you in full.`}
        </Typography.Paragraph>
      )}
    </div>
  );
}
