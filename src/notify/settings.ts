import { cnDate, cnMinuteOfDay, minutesUntilWindow, nextCnTime } from '../lib/cn-time.js';
import { z } from 'zod';
import type { Db } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { Executor } from '../jobs/queue.js';
import { DaifaError } from '../lib/errors.js';
import { CHANNELS, type Channel } from './senders.js';
import type { SecretBox } from '../security/secrets.js';
import { checkOutboundUrl, type OutboundPolicy } from '../security/outbound.js';

export const ALERT_EVENTS = [
  'new_paid_order',
  'needs_review',
  'buyer_consent_needed',
  'payment_awaiting_approval',
  'payment_due',
  'deadline_at_risk',
  'delivery_date_at_risk',
  'supplier_delay',
  'tracking_anomaly',
  'dead_job',
  'decode_quota_used_up',
  'refresh_token_expiring',
  'daily_digest',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式 HH:MM（北京时间）/ time as HH:MM (China time)');

export const alertSettingsSchema = z.object({
  language: z.enum(['zh', 'en']).default('zh'),
  wecom: z.object({ webhookUrl: z.string().url() }).optional(),
  sms: z
    .object({ phones: z.array(z.string().regex(/^(\+86)?1[3-9]\d{9}$/, '手机号格式不正确 / invalid mobile number')).max(10) })
    .optional(),
  email: z.object({ to: z.array(z.string().email()).max(10) }).optional(),
  /** Which channels each event goes to. Missing events use the defaults. */
  routes: z.record(z.enum(ALERT_EVENTS), z.array(z.enum(CHANNELS as [Channel, ...Channel[]]))).default({}),
  /** Alerts raised inside quiet hours are folded into the next digest. */
  quietHours: z.object({ start: hhmm, end: hhmm }).optional(),
  /** Daily digest time; default: the end of quiet hours, when quiet hours are set. */
  digestAt: hhmm.optional(),
});
export type AlertSettings = z.infer<typeof alertSettingsSchema>;

/** Defaults: everything to the log and WeCom; urgent things also by SMS; the digest also by e-mail. */
export const DEFAULT_ROUTES: Record<AlertEvent, Channel[]> = {
  new_paid_order: ['log', 'wecom'],
  needs_review: ['log', 'wecom'],
  buyer_consent_needed: ['log', 'wecom', 'sms'],
  payment_awaiting_approval: ['log', 'wecom', 'sms'],
  payment_due: ['log', 'wecom'],
  deadline_at_risk: ['log', 'wecom', 'sms'],
  delivery_date_at_risk: ['log', 'wecom'],
  supplier_delay: ['log', 'wecom'],
  tracking_anomaly: ['log', 'wecom'],
  dead_job: ['log', 'wecom', 'email'],
  decode_quota_used_up: ['log', 'wecom', 'email'],
  refresh_token_expiring: ['log', 'wecom', 'sms', 'email'],
  daily_digest: ['log', 'wecom', 'email'],
};

export function parseSettings(input: unknown): AlertSettings {
  const r = alertSettingsSchema.safeParse(input ?? {});
  if (!r.success)
    throw new DaifaError('VALIDATION', '提醒设置不正确 / invalid alert settings', {
      details: r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  return r.data;
}

const settingsOf = prepared((db, shopId: number, allShops: number) =>
  db.selectFrom('alert_settings').select(['shop_id', 'settings']).where('shop_id', 'in', [shopId, allShops]),
);

/**
 * Stored form: the recipients (the WeCom robot URL — its key is a secret —, phone numbers, e-mail addresses) are
 * sealed like shop secrets under `sealed`; the rest stays readable. Rows saved before sealing are read as they are.
 */
type Recipients = Pick<AlertSettings, 'wecom' | 'sms' | 'email'>;
function seal(box: SecretBox, s: AlertSettings): string {
  const { wecom, sms, email, ...rest } = s;
  return JSON.stringify({ ...rest, sealed: box.seal(JSON.stringify({ wecom, sms, email } satisfies Recipients)) });
}
function unseal(box: SecretBox, stored: string): unknown {
  const raw = JSON.parse(stored) as Record<string, unknown>;
  if (typeof raw.sealed !== 'string') return raw;
  const { sealed, ...rest } = raw;
  return { ...rest, ...(JSON.parse(box.open(sealed)) as Recipients) };
}

/** Shop settings, else the all-shops settings (shop_id 0), else defaults. */
export async function loadSettings(db: Executor, box: SecretBox, shopId: number | null): Promise<AlertSettings> {
  // Read for every alert: compiled once (see prepared()); the all-shops row is shop 0.
  const { rows } = await settingsOf(db, shopId ?? 0, 0);
  const row = rows.find((r) => r.shop_id === shopId) ?? rows.find((r) => r.shop_id === 0);
  return parseSettings(row ? unseal(box, row.settings) : {});
}

/**
 * Save a shop's alert settings. The robot URL must be https to an allowed host (never loopback or a private address
 * unless allowed: the server posts there). A recipient sent back as shown (masked) keeps the stored one, so a form
 * that saves what it loaded changes nothing it did not touch.
 */
export async function saveSettings(
  db: Db,
  box: SecretBox,
  outbound: OutboundPolicy,
  shopId: number,
  input: unknown,
  now: number,
): Promise<AlertSettings> {
  const stored = await loadSettings(db.kysely, box, shopId);
  const s = parseSettings(keepMasked(input, stored));
  if (s.wecom) checkOutboundUrl(s.wecom.webhookUrl, outbound, 'wecom.webhookUrl');
  const value = seal(box, s);
  await db.kysely
    .insertInto('alert_settings')
    .values({ shop_id: shopId, settings: value, updated_at: now })
    .onConflict((oc) => oc.column('shop_id').doUpdateSet({ settings: value, updated_at: now }))
    .execute();
  return s;
}

/** What the API shows: recipients masked (the robot key, phone numbers and e-mail addresses are not for every eye). */
export function maskSettings(s: AlertSettings): AlertSettings {
  return {
    ...s,
    ...(s.wecom ? { wecom: { webhookUrl: maskUrl(s.wecom.webhookUrl) } } : {}),
    ...(s.sms ? { sms: { phones: s.sms.phones.map(maskPhone) } } : {}),
    ...(s.email ? { email: { to: s.email.to.map(maskEmail) } } : {}),
  };
}
const maskUrl = (u: string) => u.replace(/([?&]key=)([^&]*)/, (_m, k: string, v: string) => `${k}****${v.slice(-4)}`);
const maskPhone = (p: string) => p.replace(/^(\+?\d{3,5})\d{4}(\d{4})$/, '$1****$2');
const maskEmail = (e: string) => e.replace(/^(.)[^@]*(@.*)$/, '$1***$2');

/** Recipients that come back exactly as maskSettings showed them are the stored ones. */
function keepMasked(input: unknown, stored: AlertSettings): unknown {
  if (!input || typeof input !== 'object') return input;
  const i = { ...(input as Record<string, any>) };
  if (i.wecom?.webhookUrl && stored.wecom && i.wecom.webhookUrl === maskUrl(stored.wecom.webhookUrl))
    i.wecom = { ...i.wecom, webhookUrl: stored.wecom.webhookUrl };
  const same = <T>(list: unknown, mine: T[] | undefined, mask: (x: T) => string) =>
    Array.isArray(list) && mine ? list.map((x) => mine.find((m) => mask(m) === x) ?? x) : list;
  if (i.sms?.phones) i.sms = { ...i.sms, phones: same(i.sms.phones, stored.sms?.phones, maskPhone) };
  if (i.email?.to) i.email = { ...i.email, to: same(i.email.to, stored.email?.to, maskEmail) };
  return i;
}

export function routeFor(s: AlertSettings, event: AlertEvent): Channel[] {
  return s.routes[event] ?? DEFAULT_ROUTES[event];
}

// ---- China time: the shared helpers, re-exported for the notifier's callers ------------------------------
export { cnDate, cnMinuteOfDay, nextCnTime };

export function inQuietHours(s: AlertSettings, now: number): boolean {
  if (!s.quietHours) return false;
  return minutesUntilWindow({ from: s.quietHours.start, to: s.quietHours.end }, cnMinuteOfDay(now)) === 0;
}

export function digestTime(s: AlertSettings): string | undefined {
  return s.digestAt ?? s.quietHours?.end;
}
