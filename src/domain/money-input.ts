import { z } from 'zod';

/**
 * Money a person types, validated in one place: integer fen within ±¥10,000,000 (1e9 fen — far above any dropship
 * order, far below the 2^53 where integers stop being exact and the bigint columns of PostgreSQL), and dates of
 * payments within a sane window. Every money input (HTTP routes, the catalogue, imports) uses these.
 */
export const MAX_FEN = 1_000_000_000;
const FEN_MESSAGE = '金额以分为单位的整数 / amount in fen (an integer)';
const RANGE_MESSAGE = `金额超出范围（±¥${(MAX_FEN / 100).toLocaleString('en-US')}）/ amount out of range`;

export const fen = z.number({ invalid_type_error: FEN_MESSAGE }).int(FEN_MESSAGE).min(-MAX_FEN, RANGE_MESSAGE).max(MAX_FEN, RANGE_MESSAGE);
export const positiveFen = fen.positive('金额须大于 0 / amount must be positive');
export const nonNegativeFen = fen.min(0, '金额不能为负 / amount cannot be negative');

const PAID_AT_MESSAGE = '付款时间须在过去 400 天内，且不晚于现在 / paidAt must be within the last 400 days and not in the future';
/** A moment a payment was made: not more than 400 days back, not in the future (a day's clock skew allowed). */
export const paidAtInWindow = (t: number, now: number): boolean =>
  Number.isSafeInteger(t) && t >= now - 400 * 86_400_000 && t <= now + 86_400_000;

export function paidAtSchema(now: number) {
  return z
    .union([
      z.number().int().positive(),
      z
        .string()
        .datetime({ offset: true })
        .transform((t) => Date.parse(t)),
    ])
    .refine((t) => paidAtInWindow(t, now), PAID_AT_MESSAGE);
}

/** The same window where a payment is recorded (a CLI or a script can skip the HTTP layer). */
export function assertPaidAt(t: number, now: number): void {
  if (!paidAtInWindow(t, now)) throw new MoneyInputError('paidAt', PAID_AT_MESSAGE);
}

/** The same bound where money is booked (a CLI or a script can skip the HTTP layer). */
export function assertFen(amount: number, field = 'amount'): void {
  if (!Number.isSafeInteger(amount) || Math.abs(amount) > MAX_FEN)
    throw new MoneyInputError(field, Number.isInteger(amount) ? RANGE_MESSAGE : FEN_MESSAGE);
}

export class MoneyInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'MoneyInputError';
  }
}
