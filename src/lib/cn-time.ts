/** China time (UTC+8, no DST): the merchant's clock for days, quiet hours, paying hours and digests. */
const CN = 8 * 3_600_000;
const DAY = 86_400_000;

/** "HH:MM" → minutes after midnight. */
export const hhmmMinutes = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
export const cnMinuteOfDay = (now: number): number => Math.floor(((now + CN) % DAY) / 60_000);
export const cnDate = (now: number): string => new Date(now + CN).toISOString().slice(0, 10);
/** "YYYY-MM-DD HH:MM", China time — as merchants read times in messages. */
export const cnDateTime = (ms: number): string => new Date(ms + CN).toISOString().slice(0, 16).replace('T', ' ');
/** The instant (ms) the China day containing `now` began. */
export const cnDayStart = (now: number): number => now - ((now + CN) % DAY);

/** The next instant (ms) at which China time reads `at` (HH:MM), strictly after `now`. */
export function nextCnTime(at: string, now: number): number {
  const dayStart = cnDayStart(now);
  let t = dayStart + hhmmMinutes(at) * 60_000;
  if (t <= now) t += DAY;
  return t;
}

/** Minutes until a daily window [from, to) opens — 0 when inside it; a window past midnight wraps. */
export function minutesUntilWindow(window: { from: string; to: string }, minuteOfDay: number): number {
  const from = hhmmMinutes(window.from);
  const to = hhmmMinutes(window.to);
  const inside = from <= to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
  return inside ? 0 : (from - minuteOfDay + 24 * 60) % (24 * 60);
}
