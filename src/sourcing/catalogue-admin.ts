import { allSuppliers, changeMapping, hasMappings as mappingsExist, insertSupplier, upsertOffer } from '../db/repositories/catalogue.js';
import { nonNegativeFen, positiveFen } from '../domain/money-input.js';
import { z } from 'zod';
import type { Db } from '../db/dialect.js';
import { findById, saveSetting, setting } from '../db/lookups.js';
import { DEFAULT_WEIGHTS, type ScoringWeights } from '../domain/supplier-scoring.js';
import { DaifaError } from '../lib/errors.js';
import type { Executor } from '../jobs/queue.js';

const courier = z.enum(['SF', 'JD', 'EMS', 'ZTO', 'YTO', 'YUNDA', 'STO', 'JTSD', 'DBKD', 'CNSD', 'OTHER']);

/** The three kinds of supplier, each with the fields its route needs. */
export const supplierInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('1688'),
    name: z.string().trim().min(1).max(100),
    memberId: z.string().regex(/^b2b-[0-9a-z]+$/i, '1688 会员ID 形如 b2b-…'),
    loginId: z.string().max(64).optional(),
    creditLevel: z.enum(['L1', 'L2', 'L3', 'L4', 'L5']).optional(),
    acceptsEncrypted: z.boolean().default(false),
    couriers: z.array(courier).default([]),
  }),
  z.object({
    kind: z.literal('wechat_dropship'),
    name: z.string().trim().min(1).max(100),
    dropshipAppId: z.string().regex(/^wx[0-9a-zA-Z]{14,18}$/, '供货商 AppID 形如 wx…'),
    couriers: z.array(courier).default([]),
  }),
  z.object({
    kind: z.literal('direct'),
    name: z.string().trim().min(1).max(100),
    email: z.string().email('邮箱格式不正确'),
    imContact: z.string().max(100).optional(),
    couriers: z.array(courier).default([]),
    dispatchCutoff: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, '截单时间 HH:MM')
      .optional(),
  }),
]);

export const offerInput = z.object({
  offerId: z.string().regex(/^[0-9A-Za-z_-]{1,40}$/, '商品ID 格式不正确'),
  specId: z.string().max(64).default(''),
  title: z.string().trim().min(1).max(200),
  skuAttrs: z.array(z.object({ key: z.string().max(40), value: z.string().max(40) })).default([]),
  unitPrice: positiveFen,
  moq: z.number().int().min(1).default(1),
  stock: z.number().int().min(0).max(100_000_000),
  freight: nonNegativeFen.default(0),
  leadTimeHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(24),
});

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new DaifaError('VALIDATION', undefined, {
      details: r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  return r.data;
}

export async function addSupplier(db: Db, input: unknown, now: number): Promise<number> {
  const v = parse(supplierInput, input);
  return insertSupplier(db.kysely, {
    kind: v.kind,
    name: v.name,
    member_id: v.kind === '1688' ? v.memberId : null,
    login_id: v.kind === '1688' ? (v.loginId ?? null) : null,
    credit_level: v.kind === '1688' ? (v.creditLevel ?? null) : null,
    accepts_encrypted: v.kind === '1688' && v.acceptsEncrypted ? 1 : 0,
    couriers: JSON.stringify(v.couriers),
    dropship_appid: v.kind === 'wechat_dropship' ? v.dropshipAppId : null,
    email: v.kind === 'direct' ? v.email : null,
    im_contact: v.kind === 'direct' ? (v.imContact ?? null) : null,
    dispatch_cutoff: v.kind === 'direct' ? (v.dispatchCutoff ?? null) : null,
    active: 1,
    created_at: now,
  });
}

export async function addOffer(db: Db, supplierId: number, input: unknown, now: number): Promise<number> {
  const v = parse(offerInput, input);
  const supplier = await findById(db.kysely, 'suppliers', supplierId);
  if (!supplier) throw new DaifaError('NOT_FOUND', `供应商 ${supplierId} 不存在`);
  const values = {
    title: v.title,
    sku_attrs: JSON.stringify(v.skuAttrs),
    unit_price: v.unitPrice,
    moq: v.moq,
    stock: v.stock,
    freight: v.freight,
    lead_time_hours: v.leadTimeHours,
    refreshed_at: now,
  };
  return upsertOffer(db.kysely, { supplierId, offerId: v.offerId, specId: v.specId }, values);
}

export async function listSuppliers(db: Db) {
  const rows = await allSuppliers(db.kysely);
  return rows.map((s) => ({
    id: s.id,
    kind: s.kind,
    name: s.name,
    memberId: s.member_id,
    creditLevel: s.credit_level,
    acceptsEncrypted: s.accepts_encrypted === 1,
    couriers: JSON.parse(s.couriers),
    dropshipAppId: s.dropship_appid,
    email: s.email,
    active: s.active === 1,
  }));
}

// ---- scoring weights per shop -----------------------------------------------------------------------

// Any non-negative numbers; they are normalised to sum to 1.
const weightsSchema = z
  .object({
    cost: z.number().min(0).max(100),
    reliability: z.number().min(0).max(100),
    speed: z.number().min(0).max(100),
    reputation: z.number().min(0).max(100),
  })
  .refine((w) => w.cost + w.reliability + w.speed + w.reputation > 0, '权重之和必须大于 0');

export async function loadWeights(db: Executor, shopId: number): Promise<ScoringWeights> {
  const value = await setting(db, `scoring-weights:${shopId}`);
  return value ? (JSON.parse(value) as ScoringWeights) : DEFAULT_WEIGHTS;
}

export async function saveWeights(db: Db, shopId: number, input: unknown): Promise<ScoringWeights> {
  const w = parse(weightsSchema, input);
  const sum = w.cost + w.reliability + w.speed + w.reputation;
  const normalised = { cost: w.cost / sum, reliability: w.reliability / sum, speed: w.speed / sum, reputation: w.reputation / sum };
  await saveSetting(db.kysely, `scoring-weights:${shopId}`, JSON.stringify(normalised));
  return normalised;
}

/** A mapping's units per shop unit, priority or switch; at least one of them. */
export async function updateMapping(
  db: Db,
  id: number,
  change: { quantityPerUnit?: number; priority?: number; enabled?: boolean },
): Promise<void> {
  const set: Record<string, number> = {};
  if (change.quantityPerUnit !== undefined) set.quantity_per_unit = change.quantityPerUnit;
  if (change.priority !== undefined) set.priority = change.priority;
  if (change.enabled !== undefined) set.enabled = change.enabled ? 1 : 0;
  if (!Object.keys(set).length) throw new DaifaError('VALIDATION', '没有要修改的字段 / nothing to change');
  if (!(await changeMapping(db.kysely, id, set))) throw new DaifaError('NOT_FOUND', `映射 ${id} 不存在 / mapping not found`);
}

/** Whether a shop has any SKU mapped to a supplier yet. */
export async function hasMappings(db: Db, shopId: number): Promise<boolean> {
  return mappingsExist(db.kysely, shopId);
}
