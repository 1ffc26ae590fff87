import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { canTransition, type Lifecycle } from '../domain/lifecycle.js';
import { shopOrderLifecycle, type ShopOrderState } from '../domain/shop-order.lifecycle.js';
import { caseLifecycle, purchaseOrderLifecycle } from '../domain/purchase-order.lifecycle.js';
import { enqueue, type Executor, type JobSpec } from '../jobs/queue.js';
import { prepared } from '../db/prepared.js';

/** Entities whose state goes through a declared lifecycle. Later issues add purchase orders and cases. */
const entities = {
  shop_order: { table: 'shop_orders', lifecycle: shopOrderLifecycle },
  purchase_order: { table: 'purchase_orders', lifecycle: purchaseOrderLifecycle },
  case: { table: 'cases', lifecycle: caseLifecycle },
} as const;
export type EntityType = keyof typeof entities;

export const allLifecycles: Lifecycle<string>[] = Object.values(entities).map((e) => e.lifecycle as Lifecycle<string>);

export interface TransitionInput<S extends string = string> {
  entity: EntityType;
  id: number;
  to: S;
  event: string;
  actor: string;
  note?: string;
  data?: unknown;
  /** Extra columns to write with the state (already validated by the caller). */
  patch?: Record<string, unknown>;
  /** Follow-up jobs, enqueued in the same transaction. */
  jobs?: JobSpec[];
  /** Only apply when the row is still in this state (guards against a concurrent change). */
  expectFrom?: S | S[];
  /** For purchase orders and cases: the shop order whose history shows the event. */
  shopOrderId?: number;
}

export type TransitionResult = { ok: true; from: string | null; to: string } | { ok: false; reason: string; from: string | null };

/**
 * The one function that changes lifecycle state: in the caller's transaction it checks the declared table,
 * saves the new state (bumping `version`), appends an order_events row and enqueues the follow-up jobs.
 * A refused transition is returned, not thrown.
 */
export async function applyTransition(trx: Transaction<Database>, input: TransitionInput, now: number): Promise<TransitionResult> {
  const def = entities[input.entity];
  const row = (await hot[def.table].readState(trx, input.id)).rows[0];
  if (!row) return { ok: false, reason: `${input.entity} ${input.id} not found`, from: null };
  const from = row.state;
  if (input.expectFrom) {
    const allowed = Array.isArray(input.expectFrom) ? input.expectFrom : [input.expectFrom];
    if (!allowed.includes(from)) return { ok: false, reason: `state is ${from}, expected ${allowed.join('|')}`, from };
  }
  const check = canTransition(def.lifecycle as Lifecycle<string>, from, input.to);
  if (!check.ok) return { ok: false, reason: check.reason, from };
  const updated = input.patch
    ? await writeStateWithPatch(trx, def.table, input.patch, input.to, row.version + 1, now, input.id, row.version)
    : (await hot[def.table].writeState(trx, input.to, row.version + 1, now, input.id, row.version)).numAffectedRows;
  if (Number(updated) !== 1) return { ok: false, reason: 'concurrent update', from };
  await appendEvent(trx, { ...input, from }, now);
  for (const job of input.jobs ?? []) await enqueue(trx, job, now);
  return { ok: true, from, to: input.to };
}

type StateTable = 'shop_orders' | 'purchase_orders' | 'cases';
const isPlainValue = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const patchWriters = new Map<string, ReturnType<typeof patchWriter>>();
const patchWriter = (table: StateTable, columns: string[]) =>
  prepared((db, ...values: unknown[]) =>
    db
      .updateTable(table as 'shop_orders')
      .set(Object.fromEntries([...columns, 'state', 'version', 'updated_at'].map((c, i) => [c, values[i]])) as never)
      .where('id', '=', values[columns.length + 3] as number)
      .where('version', '=', values[columns.length + 4] as number),
  );

/**
 * The state written with other columns (a transition's patch): compiled once per table and set of columns when
 * every value is a plain one (an expression, or anything else, is built per call as before). Columns left
 * undefined are not written, as in Kysely's set().
 */
async function writeStateWithPatch(
  trx: Transaction<Database>,
  table: StateTable,
  patch: Record<string, unknown>,
  state: string,
  version: number,
  now: number,
  id: number,
  expected: number,
): Promise<bigint> {
  const columns = Object.keys(patch).filter((c) => patch[c] !== undefined);
  if (!columns.every((c) => isPlainValue(patch[c]))) {
    const r = await trx
      .updateTable(table)
      .set({ ...patch, state, version, updated_at: now } as never)
      .where('id', '=', id)
      .where('version', '=', expected)
      .executeTakeFirst();
    return r.numUpdatedRows;
  }
  const key = `${table}:${columns.join(',')}`;
  let write = patchWriters.get(key);
  if (!write) patchWriters.set(key, (write = patchWriter(table, columns)));
  return (await write(trx, ...columns.map((c) => patch[c]), state, version, now, id, expected)).numAffectedRows ?? 0n;
}

/** Record the initial state of a freshly inserted entity (the `null → Received` arrow). */
export async function recordInitialState(
  trx: Transaction<Database>,
  input: Omit<TransitionInput, 'patch' | 'expectFrom'>,
  now: number,
): Promise<void> {
  const def = entities[input.entity];
  const check = canTransition(def.lifecycle as Lifecycle<string>, null, input.to);
  if (!check.ok) throw new Error(check.reason);
  await appendEvent(trx, { ...input, from: null }, now);
  for (const job of input.jobs ?? []) await enqueue(trx, job, now);
}

/**
 * applyTransition where a refusal is expected and fine — "only if it is still in that state": another worker, a person
 * or an earlier run got there first. Says whether it moved. Every other caller uses applyTransition's result
 * (an ESLint rule refuses `await applyTransition(…);` with the result dropped).
 */
export async function transitionIfAllowed(trx: Transaction<Database>, input: TransitionInput, now: number): Promise<boolean> {
  return (await applyTransition(trx, input, now)).ok;
}

export async function appendEvent(
  trx: Transaction<Database>,
  e: {
    entity: EntityType;
    id: number;
    event: string;
    actor: string;
    note?: string;
    data?: unknown;
    from?: string | null;
    to?: string | null;
    shopOrderId?: number;
  },
  now: number,
): Promise<void> {
  await insertEvent(
    trx,
    e.entity,
    e.id,
    e.shopOrderId ?? (e.entity === 'shop_order' ? e.id : null),
    e.event,
    e.from ?? null,
    e.to ?? null,
    e.actor,
    e.note ?? null,
    e.data === undefined ? null : JSON.stringify(e.data),
    now,
  );
}

// The statements every order runs a dozen times, compiled once (see prepared()).
const insertEvent = prepared(
  (
    db,
    entity_type: string,
    entity_id: number,
    shop_order_id: number | null,
    event: string,
    from_state: string | null,
    to_state: string | null,
    actor: string,
    note: string | null,
    data: string | null,
    created_at: number,
  ) =>
    db
      .insertInto('order_events')
      .values({ entity_type, entity_id, shop_order_id, event, from_state, to_state, actor, note, data, created_at }),
);
const statementsFor = (table: 'shop_orders' | 'purchase_orders' | 'cases') => ({
  readState: prepared((db, id: number) =>
    db
      .selectFrom(table as 'shop_orders')
      .select(['state', 'version'])
      .where('id', '=', id),
  ),
  writeState: prepared((db, state: string, version: number, updated_at: number, id: number, expected: number) =>
    db
      .updateTable(table as 'shop_orders')
      // One of three tables (the cast above): the lifecycle guard checked `state` against that entity's states.
      .set({ state: state as ShopOrderState, version, updated_at })
      .where('id', '=', id)
      .where('version', '=', expected),
  ),
  lock: prepared((db, id: number) =>
    db
      .updateTable(table as 'shop_orders')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('id', '=', id),
  ),
});
const hot = { shop_orders: statementsFor('shop_orders'), purchase_orders: statementsFor('purchase_orders'), cases: statementsFor('cases') };

export type { ShopOrderState };

/** The current state of an entity (and its version); throws when the row does not exist. */
export async function stateOf(db: Executor, entity: EntityType, id: number): Promise<{ state: string; version: number }> {
  const row = (await hot[entities[entity].table].readState(db, id)).rows[0];
  if (!row) throw new Error(`${entity} ${id} not found`);
  return row;
}

/** The event that last moved an entity into `state` (its history's latest entry with that to_state). */
export async function lastEventInto(db: Executor, entity: EntityType, id: number, state: string): Promise<{ event: string } | undefined> {
  return db
    .selectFrom('order_events')
    .select('event')
    .where('entity_type', '=', entity)
    .where('entity_id', '=', id)
    .where('to_state', '=', state)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A shop order's history entries (of it and its purchase orders, cases …) of some events, oldest first. */
export const orderEvents = (db: Executor, shopOrderId: number, events: string[]) =>
  db
    .selectFrom('order_events')
    .select(['event', 'data', 'actor'])
    .where('shop_order_id', '=', shopOrderId)
    .where('event', 'in', events)
    .orderBy('id')
    .execute();

/** Whether an entity's history holds an event (e.g. a settlement recorded once). */
export async function hasEvent(db: Executor, entity: EntityType, id: number, event: string): Promise<boolean> {
  const row = await db
    .selectFrom('order_events')
    .select('id')
    .where('entity_type', '=', entity)
    .where('entity_id', '=', id)
    .where('event', '=', event)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Take the row lock of an entity for the rest of the transaction (a no-op write: PostgreSQL locks the row;
 * SQLite already serialises writers). Decisions that read sibling rows — "is every purchase order of this shop
 * order placed / paid?" — lock the parent first, so two siblings finishing at once cannot both miss each other.
 */
export async function lockEntity(trx: Transaction<Database>, entity: EntityType, id: number): Promise<void> {
  await hot[entities[entity].table].lock(trx, id);
}
