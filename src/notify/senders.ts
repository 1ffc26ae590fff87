import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { DaifaError } from '../lib/errors.js';
import { tc3Sign } from './tc3.js';
import { WeComBotClient } from './wecom-bot.client.js';
import { checkOutboundUrl, type OutboundPolicy } from '../security/outbound.js';

export type Channel = 'wecom' | 'sms' | 'email' | 'log';
export const CHANNELS: readonly Channel[] = ['wecom', 'sms', 'email', 'log'];

export interface OutgoingMessage {
  title: string;
  /** Markdown-ish plain text, Chinese first. */
  body: string;
}

/** One delivery channel. `target` is a WeCom webhook URL, a phone number, an e-mail address, or 'log'. */
export interface Sender {
  channel: Channel;
  send(target: string, message: OutgoingMessage): Promise<void>;
}

export class LogSender implements Sender {
  channel = 'log' as const;
  constructor(private readonly log: Logger) {}
  async send(_target: string, m: OutgoingMessage): Promise<void> {
    this.log.info({ alert: m.title }, 'merchant alert');
  }
}

export class WeComSender implements Sender {
  channel = 'wecom' as const;
  constructor(private readonly outbound: OutboundPolicy) {}
  async send(target: string, m: OutgoingMessage): Promise<void> {
    // Checked again at sending (settings saved before the allow-list, or a default target from the environment).
    checkOutboundUrl(target, this.outbound, 'wecom.webhookUrl');
    await new WeComBotClient(target).sendMarkdown(`**${m.title}**\n${m.body}`);
  }
}

export interface TencentSmsConfig {
  endpoint: string;
  secretId: string;
  secretKey: string;
  sdkAppId: string;
  signName: string;
  templateId: string;
  region?: string;
}

/**
 * Tencent Cloud SMS, API 3.0 SendSms (version 2021-01-11), signed with TC3-HMAC-SHA256. SMS content is a
 * pre-approved template; Daifa's template has one parameter: the alert title (cut to 20 characters).
 */
export class TencentSmsSender implements Sender {
  channel = 'sms' as const;
  constructor(private readonly cfg: TencentSmsConfig) {}

  async send(target: string, m: OutgoingMessage): Promise<void> {
    const url = new URL(this.cfg.endpoint);
    const payload = JSON.stringify({
      PhoneNumberSet: [target.startsWith('+') ? target : `+86${target}`],
      SmsSdkAppId: this.cfg.sdkAppId,
      SignName: this.cfg.signName,
      TemplateId: this.cfg.templateId,
      TemplateParamSet: [m.title.slice(0, 20)],
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const contentType = 'application/json; charset=utf-8';
    const { authorization } = tc3Sign({
      secretId: this.cfg.secretId,
      secretKey: this.cfg.secretKey,
      service: 'sms',
      host: url.host,
      contentType,
      payload,
      timestamp,
    });
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': contentType,
          'x-tc-action': 'SendSms',
          'x-tc-version': '2021-01-11',
          'x-tc-timestamp': String(timestamp),
          'x-tc-region': this.cfg.region ?? 'ap-guangzhou',
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `短信接口无法连接: ${(err as Error).message}`);
    }
    if (res.status >= 500) throw new DaifaError('UPSTREAM_UNAVAILABLE', `短信接口 HTTP ${res.status}`);
    const body = (await res.json().catch(() => ({}))) as {
      Response?: { Error?: { Code: string; Message: string }; SendStatusSet?: { Code: string; Message: string }[] };
    };
    const error = body.Response?.Error;
    if (error) throw smsError(error.Code, error.Message);
    const status = body.Response?.SendStatusSet?.[0];
    if (!status) throw new DaifaError('UPSTREAM_UNAVAILABLE', '短信接口返回缺少 SendStatusSet');
    if (status.Code !== 'Ok') throw smsError(status.Code, status.Message);
  }
}

/** Tencent SMS error codes → retry policy. Frequency limits wait out their window; configuration errors do not retry. */
export function smsError(code: string, message: string): DaifaError {
  const text = `短信发送失败 ${code}: ${message}`;
  const retryAfter: Record<string, number> = {
    'LimitExceeded.PhoneNumberThirtySecondLimit': 30_000,
    'LimitExceeded.PhoneNumberOneHourLimit': 3_600_000,
    'LimitExceeded.PhoneNumberDailyLimit': 6 * 3_600_000,
    'LimitExceeded.PhoneNumberSameContentDailyLimit': 6 * 3_600_000,
    RequestLimitExceeded: 2_000,
    InternalError: 5_000,
    'FailedOperation.PhoneNumberInBlacklist': 0,
  };
  if (code in retryAfter && retryAfter[code]! > 0)
    return new DaifaError('UPSTREAM_UNAVAILABLE', text, { retryAfterMs: retryAfter[code], details: { code } });
  return new DaifaError('UPSTREAM_UNAVAILABLE', text, { retryable: false, details: { code } });
}

export class EmailSender implements Sender {
  channel = 'email' as const;
  private transport: Transporter;
  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }
  async send(target: string, m: OutgoingMessage): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: target,
        subject: m.title,
        text: `${m.body}\n\n— Daifa 代发`,
        textEncoding: 'base64',
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx SMTP replies are permanent (bad address, auth refused); anything else is worth a retry.
      const permanent = typeof code === 'number' && code >= 500;
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `邮件发送失败: ${(err as Error).message}`, { retryable: !permanent });
    }
  }
}
