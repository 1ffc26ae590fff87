import { z } from 'zod';
import { shopOrderStates } from '../../domain/shop-order.lifecycle.js';
import { DaifaError } from '../../lib/errors.js';
import { REFUND_REASONS, type RefundReason } from '../../orders/buyer-refund.js';

/** A route's `:id` parameter: a positive integer (400 otherwise). */
export const positiveId = (params: unknown) =>
  z.coerce
    .number()
    .int()
    .positive()
    .parse((params as { id: string }).id);

/** Inputs several route modules read, and the batch helper of the batch routes. */
export const orderQuery = z.object({
  shopId: z.coerce.number().int().positive().optional(),
  state: z.enum(shopOrderStates).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});
export const refundBody = z.object({
  lines: z.array(z.number().int().positive()).min(1).max(100).optional(),
  reason: z.enum(Object.keys(REFUND_REASONS) as [RefundReason, ...RefundReason[]]).default('10000001'),
  note: z.string().trim().min(1, '请填写退款说明 / note is required').max(1000),
});
export const reviewBody = z
  .object({
    decision: z.enum(['confirm', 'cancel']),
    note: z.string().trim().min(1, '请填写处理说明 / note is required').max(1000),
    specChanges: z
      .array(
        z
          .object({ lineNo: z.number().int().positive(), skuId: z.string().regex(/^\d{1,20}$/, 'SKU ID 应为数字 / numeric SKU id') })
          .strict(),
      )
      .max(50)
      .optional(),
  })
  .strict();
export const idParam = z.object({ id: z.string().min(1).max(32) });
export const decodeBody = z.object({ purpose: z.string().trim().min(2).max(200), destination: z.string().trim().min(2).max(200) });

/**
 * A batch action: each id once, one after the other, each decided as a single request would be; an id the action
 * refuses (a DaifaError: decided meanwhile, margin below the floor …) is listed with why, anything else fails the batch.
 */
export async function eachOnce(
  ids: number[],
  act: (id: number) => Promise<unknown>,
): Promise<{ done: number[]; refused: { id: number; reason: string }[] }> {
  const done: number[] = [];
  const refused: { id: number; reason: string }[] = [];
  for (const id of [...new Set(ids)]) {
    try {
      await act(id);
      done.push(id);
    } catch (err) {
      if (!(err instanceof DaifaError)) throw err;
      refused.push({ id, reason: err.message });
    }
  }
  return { done, refused };
}
