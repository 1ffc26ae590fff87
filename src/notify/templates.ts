import { formatYuan } from '../domain/money.js';
import type { AlertEvent } from './settings.js';
import type { OutgoingMessage } from './senders.js';

/** What an alert carries: masked values only (the receiver is "林** 福建省福州市罗源县"), never buyer plaintext. */
export interface AlertData {
  orderId?: string;
  amount?: number;
  items?: string;
  receiver?: string;
  requests?: string;
  reasons?: string[];
  jobId?: number;
  jobKind?: string;
  error?: string;
  account?: string;
  expiresAt?: string;
  deadline?: string;
  supplier?: string;
  detail?: string;
  /** Digest only. */
  stats?: Record<string, number>;
  folded?: Record<string, number>;
  foldedLines?: string[];
  date?: string;
}

export type Lang = 'zh' | 'en';

export const EVENT_LABELS: Record<AlertEvent, { zh: string; en: string }> = {
  new_paid_order: { zh: '新订单', en: 'New order' },
  needs_review: { zh: '待审核', en: 'Needs review' },
  buyer_consent_needed: { zh: '需买家确认', en: 'Buyer consent needed' },
  payment_awaiting_approval: { zh: '付款待批准', en: 'Payment awaiting approval' },
  payment_due: { zh: '待人工付款', en: 'Payment to make by hand' },
  deadline_at_risk: { zh: '发货超时风险', en: 'Ship-by deadline at risk' },
  delivery_date_at_risk: { zh: '买家要求的送达时间有风险', en: "Buyer's delivery date at risk" },
  supplier_delay: { zh: '供应商延迟', en: 'Supplier delay' },
  tracking_anomaly: { zh: '物流异常', en: 'Tracking anomaly' },
  dead_job: { zh: '任务失败', en: 'Job failed' },
  decode_quota_used_up: { zh: '今日解密额度已用完', en: 'Decode quota used up today' },
  refresh_token_expiring: { zh: '授权即将过期', en: 'Authorisation expiring' },
  daily_digest: { zh: '每日汇总', en: 'Daily digest' },
};

const line = (label: string, v: string | undefined) => (v ? `${label}${v}\n` : '');

export function render(event: AlertEvent, d: AlertData, lang: Lang): OutgoingMessage {
  const zh = lang === 'zh';
  const L = EVENT_LABELS[event][lang];
  const order = line(zh ? '订单号：' : 'Order: ', d.orderId);
  switch (event) {
    case 'new_paid_order':
      return {
        title: `${L} ${d.amount !== undefined ? formatYuan(d.amount) : ''}`.trim(),
        body:
          order +
          line(zh ? '商品：' : 'Items: ', d.items) +
          line(zh ? '收货：' : 'Ship to: ', d.receiver) +
          line(zh ? '要求：' : 'Requests: ', d.requests),
      };
    case 'needs_review':
      // Raised for the order checks' reasons, and for a step that needs a person (its detail: a partial refund, a
      // changed address, a refund WeChat refused) — without the detail the message said nothing.
      return {
        title: `${zh ? '订单需人工审核' : 'Order needs review'} ${d.orderId ?? ''}`.trim(),
        body: line(zh ? '说明：' : 'Detail: ', d.detail) + (d.reasons ?? []).map((r) => `- ${r}`).join('\n'),
      };
    case 'dead_job':
      return {
        title: `${L} #${d.jobId} ${d.jobKind ?? ''}`.trim(),
        body: `${zh ? '错误：' : 'Error: '}${d.error ?? ''}\n${zh ? '处理：daifa jobs list --status dead，修复后 daifa jobs retry ' : 'Fix, then: daifa jobs retry '}${d.jobId}`,
      };
    case 'decode_quota_used_up':
      // Orders keep coming; those whose supplier needs the plaintext address wait for tomorrow's quota.
      return {
        title: `${L} ${d.date ?? ''}`.trim(),
        body: zh
          ? `已用 ${d.detail ?? ''}。需要收货地址的采购单（1688、邮件下单）将在明日 00:00（北京时间）额度恢复后自动继续。\n如已在微信小店购买更多解密额度，请调高 DAIFA_DECODE_DAILY_QUOTA。`
          : `Used ${d.detail ?? ''}. Supplier orders that need the buyer's address (1688, e-mail) go on by themselves when the quota is back at 00:00 China time.\nIf the shop bought more decode quota from WeChat, raise DAIFA_DECODE_DAILY_QUOTA.`,
      };
    case 'refresh_token_expiring':
      return {
        title: `${L} ${d.account ?? ''}`.trim(),
        body: `${zh ? '到期：' : 'Expires: '}${d.expiresAt ?? ''}\n${zh ? '请重新授权，否则无法下单。' : 'Re-authorise, or orders cannot be placed.'}`,
      };
    case 'daily_digest': {
      const stats = Object.entries(d.stats ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join('，');
      const folded = Object.entries(d.folded ?? {})
        .map(([k, v]) => `${EVENT_LABELS[k as AlertEvent]?.[lang] ?? k} ${v}`)
        .join('，');
      return {
        title: `${L} ${d.date ?? ''}`.trim(),
        body:
          line(zh ? '今日订单：' : "Today's orders: ", stats || (zh ? '无' : 'none')) +
          line(zh ? '静默期间提醒：' : 'During quiet hours: ', folded) +
          (d.foldedLines ?? [])
            .slice(0, 10)
            .map((x) => `- ${x}`)
            .join('\n'),
      };
    }
    default:
      return {
        title: `${L} ${d.orderId ?? ''}`.trim(),
        body:
          order +
          line(zh ? '供应商：' : 'Supplier: ', d.supplier) +
          line(zh ? '期限：' : 'Deadline: ', d.deadline) +
          line(zh ? '说明：' : 'Detail: ', d.detail) +
          (d.reasons ?? []).map((r) => `- ${r}`).join('\n'),
      };
  }
}

/** Several pending alerts for one target become one message (bursts stay within the channel's limit). */
export function renderSummary(items: { event: string; title: string }[], lang: Lang, maxLines = 10): OutgoingMessage {
  const zh = lang === 'zh';
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.event, (counts.get(i.event) ?? 0) + 1);
  const parts = [...counts].map(([e, n]) => `${EVENT_LABELS[e as AlertEvent]?.[lang] ?? e} ${n}`).join(zh ? '，' : ', ');
  const lines = items.slice(0, maxLines).map((i) => `- ${i.title}`);
  if (items.length > maxLines)
    lines.push(zh ? `…另有 ${items.length - maxLines} 条，请在 Daifa 中查看` : `…and ${items.length - maxLines} more in Daifa`);
  return { title: zh ? `Daifa 提醒 ${items.length} 条（${parts}）` : `Daifa: ${items.length} alerts (${parts})`, body: lines.join('\n') };
}

/** Safety net: any unmasked mainland mobile number in an alert is masked before it leaves (3****4). */
export function maskPhones(text: string): string {
  return text.replace(/(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)/g, '$1****$3');
}
