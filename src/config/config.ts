import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_OUTBOUND_HOSTS } from '../security/outbound.js';

/**
 * Configuration comes from the environment, is parsed once and is frozen. Every invalid variable is
 * reported in one error so an operator fixes them all in one go (Immich getEnv pattern).
 */
const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  // Loopback unless told otherwise: put a reverse proxy with TLS in front (README), or set HOST=0.0.0.0 knowingly.
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres(ql)?:\/\/|sqlite:)/.test(v), 'must start with postgres:// or sqlite:')
    .optional(),
  DAIFA_DATA_DIR: z.string().default('./data'),
  DAIFA_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32 || /^[0-9a-fA-F]{64}$/.test(v), 'must be 32 bytes as base64 or 64 hex characters')
    .optional(),
  WECHAT_API_BASE: z.string().url().default('https://api.weixin.qq.com'),
  ALIBABA_API_BASE: z.string().url().default('https://gw.open.1688.com'),
  DAIFA_SANDBOX: bool.optional(),
  DAIFA_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  DAIFA_SANDBOX_ORDERS_PER_MINUTE: z.coerce.number().min(0).max(100_000).default(6),
  DAIFA_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),
  DAIFA_JOB_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  DAIFA_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  DAIFA_DECODE_DAILY_QUOTA: z.coerce.number().int().min(0).default(30),
  DAIFA_WECHAT_CALLS_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  DAIFA_1688_CALLS_PER_SECOND: z.coerce.number().min(0.1).default(50),
  DAIFA_OFFER_STALE_HOURS: z.coerce.number().positive().default(24),
  DAIFA_CONSENT_REMINDER_HOURS: z.coerce.number().positive().default(4),
  DAIFA_DUPLICATE_WINDOW_HOURS: z.coerce.number().min(0).default(24),
  DAIFA_PUSH_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  DAIFA_WECOM_WEBHOOK_URL: z.string().url().optional(),
  DAIFA_SMS_ENDPOINT: z.string().url().default('https://sms.tencentcloudapi.com'),
  DAIFA_SMS_SECRET_ID: z.string().optional(),
  DAIFA_SMS_SECRET_KEY: z.string().optional(),
  DAIFA_SMS_SDK_APP_ID: z.string().optional(),
  DAIFA_SMS_SIGN_NAME: z.string().optional(),
  DAIFA_SMS_TEMPLATE_ID: z.string().optional(),
  DAIFA_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be smtp://user:pass@host:port or smtps://…')
    .optional(),
  DAIFA_MAIL_FROM: z.string().default('Daifa 代发 <daifa@localhost>'),
  /** Hosts alert robots (and SMTP) may be reached at, besides WeCom's (comma-separated). */
  DAIFA_OUTBOUND_HOSTS: z.string().optional(),
  /** Allow loopback and private addresses for those (the sandbox's robot is on loopback; default: only in sandbox mode). */
  DAIFA_ALLOW_PRIVATE_OUTBOUND: bool.optional(),
  /** Days raw webhook bodies (WeChat pushes, 1688 messages) are kept; orders keep their own history. */
  DAIFA_RETENTION_EVENTS_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Days decoded-address records keep who/why/where (the decode log itself) — the plaintext is never stored. */
  DAIFA_RETENTION_DECODE_LOG_DAYS: z.coerce.number().int().min(30).max(3650).default(365),
  /** A WeChat push whose signed timestamp is older (or newer) than this is refused as a replay. */
  DAIFA_PUSH_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  publicUrl?: string;
  databaseUrl: string;
  dataDir: string;
  masterKey?: string;
  wechatApiBase: string;
  /** 1688 open-platform gateway (the sandbox points it at the simulator). */
  alibabaApiBase: string;
  /** undefined = decide at start: on while no real shop is configured. */
  sandbox?: boolean;
  sandboxPort: number;
  sandboxOrdersPerMinute: number;
  pollIntervalSeconds: number;
  workerConcurrency: number;
  /** A claimed job is another worker's again this long after its worker stops renewing (crash). */
  jobLeaseSeconds: number;
  decodeDailyQuota: number;
  /** Pace of WeChat business API calls per shop (token bucket, slows down on 45011). */
  wechatCallsPerMinute: number;
  /** Pace of 1688 API calls per app (slows down on gw.QosAppFrequencyLimit). */
  alibabaCallsPerSecond: number;
  duplicateWindowHours: number;
  /** While a buyer has not answered a consent question, remind the merchant this often. */
  consentReminderHours: number;
  /** Catalogue prices and stock older than this are shown as stale (the preview re-checks them anyway). */
  offerStaleHours: number;
  pushBodyLimit: number;
  /** WeCom group robot webhook (…/cgi-bin/webhook/send?key=KEY) for merchant alerts. */
  wecomWebhookUrl?: string;
  /** Tencent Cloud SMS; on only when every field is set. */
  sms?: { endpoint: string; secretId: string; secretKey: string; sdkAppId: string; signName: string; templateId: string };
  smtpUrl?: string;
  mailFrom: string;
  /** Where configured alert robots and SMTP may point (see security/outbound.ts). */
  outbound: { hosts: string[]; allowPrivate?: boolean };
  retention: { eventsDays: number; decodeLogDays: number };
  pushMaxAgeSeconds: number;
  logLevel: RawConfig['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置错误 / invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const c = parsed.data;
  const dataDir = resolve(c.DAIFA_DATA_DIR);
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    publicUrl: c.PUBLIC_URL,
    databaseUrl: c.DATABASE_URL ?? `sqlite:${resolve(dataDir, 'daifa.sqlite')}`,
    dataDir,
    masterKey: c.DAIFA_MASTER_KEY,
    wechatApiBase: c.WECHAT_API_BASE.replace(/\/$/, ''),
    alibabaApiBase: c.ALIBABA_API_BASE.replace(/\/$/, ''),
    sandbox: c.DAIFA_SANDBOX,
    sandboxPort: c.DAIFA_SANDBOX_PORT,
    sandboxOrdersPerMinute: c.DAIFA_SANDBOX_ORDERS_PER_MINUTE,
    pollIntervalSeconds: c.DAIFA_POLL_INTERVAL_SECONDS,
    workerConcurrency: c.DAIFA_WORKER_CONCURRENCY,
    jobLeaseSeconds: c.DAIFA_JOB_LEASE_SECONDS,
    decodeDailyQuota: c.DAIFA_DECODE_DAILY_QUOTA,
    wechatCallsPerMinute: c.DAIFA_WECHAT_CALLS_PER_MINUTE,
    alibabaCallsPerSecond: c.DAIFA_1688_CALLS_PER_SECOND,
    duplicateWindowHours: c.DAIFA_DUPLICATE_WINDOW_HOURS,
    consentReminderHours: c.DAIFA_CONSENT_REMINDER_HOURS,
    offerStaleHours: c.DAIFA_OFFER_STALE_HOURS,
    pushBodyLimit: c.DAIFA_PUSH_BODY_LIMIT,
    wecomWebhookUrl: c.DAIFA_WECOM_WEBHOOK_URL,
    sms:
      c.DAIFA_SMS_SECRET_ID && c.DAIFA_SMS_SECRET_KEY && c.DAIFA_SMS_SDK_APP_ID && c.DAIFA_SMS_SIGN_NAME && c.DAIFA_SMS_TEMPLATE_ID
        ? {
            endpoint: c.DAIFA_SMS_ENDPOINT,
            secretId: c.DAIFA_SMS_SECRET_ID,
            secretKey: c.DAIFA_SMS_SECRET_KEY,
            sdkAppId: c.DAIFA_SMS_SDK_APP_ID,
            signName: c.DAIFA_SMS_SIGN_NAME,
            templateId: c.DAIFA_SMS_TEMPLATE_ID,
          }
        : undefined,
    smtpUrl: c.DAIFA_SMTP_URL,
    mailFrom: c.DAIFA_MAIL_FROM,
    outbound: {
      hosts: [
        ...DEFAULT_OUTBOUND_HOSTS,
        ...(c.DAIFA_OUTBOUND_HOSTS ?? '')
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
        ...(c.DAIFA_SMTP_URL ? [new URL(c.DAIFA_SMTP_URL).hostname] : []),
      ],
      allowPrivate: c.DAIFA_ALLOW_PRIVATE_OUTBOUND,
    },
    retention: { eventsDays: c.DAIFA_RETENTION_EVENTS_DAYS, decodeLogDays: c.DAIFA_RETENTION_DECODE_LOG_DAYS },
    pushMaxAgeSeconds: c.DAIFA_PUSH_MAX_AGE_SECONDS,
    logLevel: c.LOG_LEVEL,
  });
}
