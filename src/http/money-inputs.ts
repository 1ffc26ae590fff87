import type { FastifyRequest } from 'fastify';
import { DaifaError } from '../lib/errors.js';

export { fen, MAX_FEN, nonNegativeFen, paidAtSchema, positiveFen } from '../domain/money-input.js';

/**
 * The idempotency key of a money-changing request: the `Idempotency-Key` header, else the body's own reference.
 * Required: without one, twenty parallel submits of the same form would be booked twenty times.
 */
export function idempotencyKey(req: FastifyRequest, bodyRef?: string): string {
  const header = req.headers['idempotency-key'];
  const key = (typeof header === 'string' ? header : undefined) ?? bodyRef;
  if (!key || !/^[\w.:@/-]{1,100}$/.test(key)) {
    throw new DaifaError(
      'VALIDATION',
      '请提供 Idempotency-Key 请求头或 ref（1–100 位字母、数字或 -_.:@/，如售后单号、流水号），重复提交才不会记两次 / an Idempotency-Key header or a ref is required',
      { details: [{ field: 'ref', message: 'idempotency key required' }] },
    );
  }
  return key;
}
