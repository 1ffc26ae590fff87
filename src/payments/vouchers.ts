import { createHash } from 'node:crypto';
import type { Db } from '../db/dialect.js';
import { rowOrThrow } from '../db/lookups.js';
import type { Executor } from '../jobs/queue.js';
import { DaifaError } from '../lib/errors.js';
import { prepared, preparedInsert } from '../db/prepared.js';

export const VOUCHER_MAX_BYTES = 10 * 1024 * 1024;

const KINDS: { mime: string; ext: string; label: string; test: (b: Buffer) => boolean }[] = [
  {
    mime: 'image/png',
    ext: 'png',
    label: 'PNG',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { mime: 'image/jpeg', ext: 'jpg', label: 'JPEG', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    mime: 'image/webp',
    ext: 'webp',
    label: 'WebP',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { mime: 'application/pdf', ext: 'pdf', label: 'PDF', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
];

/** What the bytes are (by their magic numbers), whatever the upload claims. */
export function sniffVoucher(bytes: Buffer): (typeof KINDS)[number] | undefined {
  return KINDS.find((k) => k.test(bytes));
}

/**
 * Check an upload before anything is stored: not empty, not too large, an image (PNG/JPEG/WebP) or a PDF, and
 * the declared type (if any) agrees with the content. Each refusal says what to do.
 */
export function validateVoucher(
  bytes: Buffer,
  declaredType: string | undefined,
  maxBytes = VOUCHER_MAX_BYTES,
): { mime: string; ext: string } {
  if (bytes.length === 0) throw new DaifaError('VALIDATION', '凭证文件为空，请重新选择文件 / the voucher file is empty');
  if (bytes.length > maxBytes)
    throw new DaifaError(
      'PAYLOAD_TOO_LARGE',
      `凭证文件 ${(bytes.length / 1048576).toFixed(1)} MB，超过上限 ${(maxBytes / 1048576).toFixed(0)} MB / voucher too large`,
    );
  const kind = sniffVoucher(bytes);
  if (!kind)
    throw new DaifaError('UNSUPPORTED_MEDIA_TYPE', '凭证只接受图片（PNG、JPEG、WebP）或 PDF / vouchers must be PNG, JPEG, WebP or PDF');
  const declared = declaredType?.split(';')[0]?.trim().toLowerCase();
  if (
    declared &&
    declared !== 'application/octet-stream' &&
    declared !== kind.mime &&
    !(declared === 'image/jpg' && kind.mime === 'image/jpeg')
  ) {
    throw new DaifaError(
      'UNSUPPORTED_MEDIA_TYPE',
      `文件内容是 ${kind.label}，与声明的类型 ${declared} 不符 / content is ${kind.label}, not ${declared}`,
    );
  }
  return { mime: kind.mime, ext: kind.ext };
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// Every payment stores its trade record: compiled once (see prepared()).
const voucherOf = prepared((db, paymentId: number, hash: string) =>
  db.selectFrom('vouchers').select('id').where('payment_id', '=', paymentId).where('sha256', '=', hash),
);
const insertVoucher = preparedInsert(
  'vouchers',
  ['payment_id', 'kind', 'file_name', 'mime', 'size', 'sha256', 'content', 'supplier_trade_id', 'uploaded_by', 'created_at'],
  (q) => q.onConflict((oc) => oc.columns(['payment_id', 'sha256']).doNothing()).returning('id'),
);

/** Vouchers a payment may hold (uploads and trade records together): enough for any real payment, never unbounded. */
export const VOUCHERS_PER_PAYMENT = 20;

/**
 * The stored name: the uploader's name without path or control characters, and always the extension of the type
 * the bytes really are (a "receipt.html" that is a PNG is kept as "receipt.png": a browser never renders it as a page).
 */
export function voucherFileName(given: string, mime: string, hash: string): string {
  const ext = KINDS.find((k) => k.mime === mime)?.ext ?? 'bin';
  // Control characters are exactly what is removed.
  // eslint-disable-next-line no-control-regex
  const unsafe = /[\\/\0-\x1f\x7f]/g;
  const base =
    given
      .replace(unsafe, '_')
      .replace(/\.[^.]*$/, '')
      .slice(0, 150) || `voucher-${hash.slice(0, 12)}`;
  return `${base}.${ext}`;
}

/** Store a voucher for a payment. The same file twice is the same voucher (idempotent); nothing is overwritten. */
export async function storeVoucher(
  db: Executor,
  input: {
    paymentId: number;
    kind: 'upload' | 'trade-record';
    fileName: string;
    mime: string;
    bytes: Buffer;
    supplierTradeId?: string | null;
    actor: string;
  },
  now: number,
): Promise<{ id: number; sha256: string; size: number; created: boolean }> {
  const hash = sha256(input.bytes);
  const existing = (await voucherOf(db, input.paymentId, hash)).rows[0];
  if (existing) return { id: existing.id, sha256: hash, size: input.bytes.length, created: false };
  const fileName = voucherFileName(input.fileName, input.mime, hash);
  const row = (
    await insertVoucher(db, {
      payment_id: input.paymentId,
      kind: input.kind,
      file_name: fileName,
      mime: input.mime,
      size: input.bytes.length,
      sha256: hash,
      content: input.bytes,
      supplier_trade_id: input.supplierTradeId ?? null,
      uploaded_by: input.actor,
      created_at: now,
    })
  ).rows[0];
  if (row) return { id: row.id, sha256: hash, size: input.bytes.length, created: true };
  const again = rowOrThrow((await voucherOf(db, input.paymentId, hash)).rows[0], 'vouchers', `${input.paymentId}/${hash}`);
  return { id: again.id, sha256: hash, size: input.bytes.length, created: false };
}

export async function listVouchers(db: Db, paymentId: number) {
  return db.kysely
    .selectFrom('vouchers')
    .select(['id', 'payment_id', 'kind', 'file_name', 'mime', 'size', 'sha256', 'supplier_trade_id', 'uploaded_by', 'created_at'])
    .where('payment_id', '=', paymentId)
    .orderBy('id')
    .execute();
}

export async function readVoucher(db: Db, id: number): Promise<{ fileName: string; mime: string; content: Buffer; sha256: string }> {
  const v = await db.kysely
    .selectFrom('vouchers')
    .select(['file_name', 'mime', 'content', 'sha256'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!v) throw new DaifaError('NOT_FOUND', `凭证 ${id} 不存在`);
  const content = Buffer.from(v.content);
  if (sha256(content) !== v.sha256) throw new DaifaError('INTERNAL', `凭证 ${id} 校验失败（SHA-256 不符）`);
  return { fileName: v.file_name, mime: v.mime, content, sha256: v.sha256 };
}
