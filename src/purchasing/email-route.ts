import { forgetMessage, markSent, messageById, outgoingMessage, recordSending, threadStart } from '../db/repositories/po-messages.js';
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../db/dialect.js';
import { formatYuan } from '../domain/money.js';
import { DaifaError } from '../lib/errors.js';
import type { AddressParam } from '../suppliers/alibaba-1688/client.js';

/**
 * Direct suppliers by e-mail (通过邮件…保留好沟通记录): a clear Chinese purchase-order e-mail; every message in and
 * out is kept as the purchase order's thread. The thread keeps the address masked — the plaintext went only to
 * the supplier — and a message that may have gone out is never sent again.
 */
export class EmailPurchaseRoute {
  private transport?: Transporter;

  constructor(
    private readonly db: Db,
    private readonly smtpUrl: string | undefined,
    private readonly from: string,
    private readonly now: () => number,
  ) {}

  /** 'sent', or 'unknown' when an earlier attempt may already have sent it (a person must check). */
  async send(input: {
    poId: number;
    outOrderId: string;
    supplierName: string;
    to: string;
    address: AddressParam;
    maskedAddress: string;
    lines: { title: string; specId: string; offerId: string; quantity: number; unitPrice: number }[];
    requests: string;
    total: number;
  }): Promise<'sent' | 'unknown'> {
    if (!this.smtpUrl) throw new DaifaError('CONFIG', '未配置邮件发送 (DAIFA_SMTP_URL) / e-mail is not configured', { retryable: false });
    const earlier = await outgoingMessage(this.db.kysely, input.poId);
    if (earlier?.status === 'sent') return 'sent';
    if (earlier) return 'unknown';
    const subject = `【采购单 ${input.outOrderId}】一件代发订单，请发货`;
    const body = (address: string) =>
      [
        `${input.supplierName} 您好：`,
        '',
        `请按以下信息一件代发，采购单号 ${input.outOrderId}。`,
        '',
        '商品：',
        ...input.lines.map(
          (l, i) =>
            `  ${i + 1}. ${l.title}（商品 ${l.offerId}${l.specId ? `，规格 ${l.specId}` : ''}） × ${l.quantity}，单价 ${formatYuan(l.unitPrice)}`,
        ),
        `合计：${formatYuan(input.total)}`,
        '',
        '收货信息：',
        address,
        '',
        `买家要求：${input.requests || '无'}`,
        '',
        '请直接回复本邮件：',
        '  - 已接单：请回复您的订单号；',
        '  - 已发货：请回复快递公司和快递单号；',
        '  - 缺货或无法满足要求：请直接说明。',
        '',
        '谢谢！— Daifa 代发',
      ].join('\n');
    // The intent is recorded before the send: after a crash, a row in "sending" means the e-mail may be out.
    return this.sendNotice({
      poId: input.poId,
      to: input.to,
      key: input.outOrderId,
      subject,
      text: body(plainAddress(input.address)),
      stored: body(input.maskedAddress),
      actor: 'system:purchasing',
    });
  }

  /**
   * The buyer changed the receiving address before shipment: tell the supplier in the same thread. Once per change
   * (`changeKey`); the plaintext address goes only into the e-mail, the thread keeps the masked one.
   */
  async sendAddressChange(input: {
    poId: number;
    outOrderId: string;
    supplierName: string;
    to: string;
    address: AddressParam;
    maskedAddress: string;
    changeKey: string;
  }): Promise<'sent' | 'unknown'> {
    const body = (address: string) =>
      [
        `${input.supplierName} 您好：`,
        '',
        `采购单 ${input.outOrderId} 的买家修改了收货地址。尚未发货的，请按以下新地址发货：`,
        '',
        address,
        '',
        '如已按旧地址发出，请直接回复本邮件告知快递单号。谢谢！— Daifa 代发',
      ].join('\n');
    return this.sendNotice({
      poId: input.poId,
      to: input.to,
      key: `addr-${input.changeKey}`,
      subject: `【采购单 ${input.outOrderId}】买家修改了收货地址，请按新地址发货`,
      text: body(plainAddress(input.address)),
      stored: body(input.maskedAddress),
      actor: 'system:address-change',
    });
  }

  /** 催发货 by e-mail (direct suppliers have no API): once per `key` (e.g. per day), in the purchase order's thread. */
  async sendExpedite(input: {
    poId: number;
    outOrderId: string;
    supplierName: string;
    to: string;
    deadline: string;
    key: string;
    actor: string;
  }): Promise<'sent' | 'unknown' | 'already'> {
    const messageId = `<${input.key}.${input.poId}@daifa.local>`;
    if (await messageById(this.db.kysely, input.poId, messageId)) return 'already';
    const text = [
      `${input.supplierName} 您好：`,
      '',
      `采购单 ${input.outOrderId} 的买家要求在 ${input.deadline} 前发货，目前还没有收到发货信息。`,
      '请尽快安排发货，并回复本邮件告知快递公司和单号；如有困难（缺货、延期），也请直接回复说明。',
      '',
      '谢谢！— Daifa 代发',
    ].join('\n');
    return this.sendNotice({
      poId: input.poId,
      to: input.to,
      key: input.key,
      subject: `【采购单 ${input.outOrderId}】催发货：请尽快发货`,
      text,
      stored: text,
      actor: input.actor,
    });
  }

  /** A person's own message to the supplier, in the purchase order's thread (the same text is not sent twice). */
  async sendMessage(input: {
    poId: number;
    outOrderId: string;
    supplierName: string;
    to: string;
    body: string;
    actor: string;
  }): Promise<'sent' | 'unknown'> {
    const key = `msg-${createHash('sha256').update(input.body).digest('hex').slice(0, 12)}`;
    const text = [
      `${input.supplierName} 您好：`,
      '',
      input.body,
      '',
      `（采购单 ${input.outOrderId}，请直接回复本邮件）`,
      '— Daifa 代发',
    ].join('\n');
    return this.sendNotice({
      poId: input.poId,
      to: input.to,
      key,
      subject: `【采购单 ${input.outOrderId}】${input.body.split('\n')[0]!.slice(0, 30)}`,
      text,
      stored: text,
      actor: input.actor,
    });
  }

  /**
   * A follow-up in the purchase order's thread (In-Reply-To the purchase-order e-mail). The intent is recorded
   * first; a notice that may already be out (same key) is not sent again.
   */
  private async sendNotice(input: {
    poId: number;
    to: string;
    key: string;
    subject: string;
    text: string;
    stored: string;
    actor: string;
  }): Promise<'sent' | 'unknown'> {
    if (!this.smtpUrl) throw new DaifaError('CONFIG', '未配置邮件发送 (DAIFA_SMTP_URL) / e-mail is not configured', { retryable: false });
    const messageId = `<${input.key}.${input.poId}@daifa.local>`;
    const earlier = await messageById(this.db.kysely, input.poId, messageId);
    if (earlier) return earlier.status === 'sent' ? 'sent' : 'unknown';
    const first = await threadStart(this.db.kysely, input.poId);
    const id = await recordSending(
      this.db.kysely,
      { poId: input.poId, subject: input.subject, body: input.stored, messageId, actor: input.actor, to: input.to },
      this.now(),
    );
    this.transport ??= nodemailer.createTransport(this.smtpUrl);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: input.to,
        subject: input.subject,
        text: input.text,
        messageId,
        textEncoding: 'base64',
        ...(first ? { inReplyTo: first, references: [first] } : {}),
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (notSent(err as Error & { code?: string; responseCode?: number })) await forgetMessage(this.db.kysely, id);
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `邮件发送失败: ${(err as Error).message}`, {
        retryable: !(typeof code === 'number' && code >= 500),
      });
    }
    await markSent(this.db.kysely, id);
    return 'sent';
  }
}

/**
 * Certain the message did not go out: the server answered with a refusal (any response code), the login or the
 * envelope was refused, or no connection was ever made. A connection that closed or timed out may have closed
 * after the server took the message ("Connection closed unexpectedly" comes after DATA too): that is unknown.
 */
export function notSent(err: Error & { code?: string; responseCode?: number }): boolean {
  if (typeof err.responseCode === 'number') return true;
  if (['EAUTH', 'EENVELOPE', 'EDNS'].includes(err.code ?? '')) return true;
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(err.message);
}

/** The receiver as the supplier must read it (plaintext: only ever in the e-mail itself). */
function plainAddress(a: AddressParam): string {
  return `  收货人：${a.fullName}\n  电话：${a.phone ?? a.mobile}\n  地址：${a.provinceText}${a.cityText}${a.areaText} ${a.address}`;
}
