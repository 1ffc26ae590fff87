import type { DeliveryState, NegotiationState } from '../domain/fulfilment.lifecycle.js';
import type { PaymentStatus } from '../domain/payment.lifecycle.js';
import type { CaseState, PurchaseOrderState } from '../domain/purchase-order.lifecycle.js';
import type { ShopOrderState } from '../domain/shop-order.lifecycle.js';
import type { Generated } from 'kysely';

/** Row types. Times are integer milliseconds since the epoch unless named `*_s` (WeChat's Unix seconds). Money is integer fen. */

export interface ShopsTable {
  id: Generated<number>;
  shop_key: string;
  name: string;
  app_id: string;
  app_secret_enc: string;
  push_token_enc: string;
  aes_key_enc: string;
  /** live | shadow */
  mode: string;
  is_sandbox: number;
  poll_cursor_s: number | null;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  /** owner | operator | viewer */
  role: string;
  disabled: number;
  created_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  /** Tokens expire (migration 0021 gave older ones a year from creation). */
  expires_at: number;
  /** full | read (read: GET only). */
  scope: string;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the cookie value; the value itself is never stored. */
  token_hash: string;
  /** Double-submit token the browser sends back in x-csrf-token on every change. */
  csrf: string;
  created_at: number;
  expires_at: number;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  key: string;
  at: number;
}

export interface InboundEventsTable {
  id: Generated<number>;
  source: string;
  shop_id: number;
  dedup_key: string;
  event_type: string;
  external_id: string | null;
  payload: string;
  received_at: number;
}

export interface ShopOrdersTable {
  id: Generated<number>;
  shop_id: number;
  wx_order_id: string;
  state: ShopOrderState;
  wx_status: number;
  wx_create_time_s: number;
  wx_update_time_s: number;
  pay_time_s: number | null;
  order_price: number;
  product_price: number;
  freight: number;
  customer_notes: string;
  merchant_notes: string;
  /** JSON: masked address as returned by order/get (never plaintext). */
  address: string;
  address_hash: string | null;
  /** JSON: parsed special requests. */
  special_requests: string;
  /** JSON: review reasons [{code, message, detail?}]. */
  review_reasons: string;
  search_text: string;
  created_at: number;
  updated_at: number;
  version: number;
  /** `channels_ec_order_deliver` pushes Daifa's own delivery/sends will cause, not yet received (0014). */
  deliver_echoes: Generated<number>;
  /** 1 when Daifa's latest send shipped everything (its echo says finish_delivery 1). */
  deliver_echo_finish: Generated<number>;
}

export interface ShopOrderLinesTable {
  id: Generated<number>;
  shop_order_id: number;
  line_no: number;
  product_id: string;
  sku_id: string;
  product_unique_id: string | null;
  title: string;
  sku_attrs: string;
  quantity: number;
  unit_price: number;
  paid_amount: number;
  delivery_deadline_s: number | null;
  on_aftersale_cnt: number;
  finish_aftersale_cnt: number;
  /** Units a person decided not to fulfil (the buyer is refunded for them): never sourced (0019). */
  withdrawn_cnt: Generated<number>;
  /** The buyer agreed to receive this offer instead (recorded consent); sourcing then uses only it. */
  substitute_offer_ref?: number | null;
  /** The spec bought instead of `sku_id`, changed in review at the buyer's written ask (0022); sourcing uses it. */
  sourced_sku_id?: string | null;
}

export interface OrderEventsTable {
  id: Generated<number>;
  entity_type: string;
  entity_id: number;
  shop_order_id: number | null;
  event: string;
  from_state: string | null;
  to_state: string | null;
  actor: string;
  note: string | null;
  data: string | null;
  created_at: number;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: string;
  /** pending | running | done | dead */
  status: string;
  run_at: number;
  attempts: number;
  max_attempts: number;
  lease_until: number | null;
  locked_by: string | null;
  singleton_key: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface DaifaProcessesTable {
  id: string;
  role: string;
  host: string;
  pid: number;
  started_at: number;
  seen_at: number;
}

export interface JobRunsTable {
  id: Generated<number>;
  job_id: number;
  kind: string;
  worker: string;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
}

export interface DecodeLogTable {
  id: Generated<number>;
  shop_id: number;
  wx_order_id: string;
  actor: string;
  purpose: string;
  destination: string;
  created_at: number;
}

export interface DecodeUsageTable {
  shop_id: number;
  day: string;
  used: number;
}

export interface NotificationsTable {
  id: Generated<number>;
  shop_id: number | null;
  event: string;
  channel: string;
  dedup_key: string;
  /** pending | sending | sent | failed | folded (quiet hours: waits for the digest) | digested */
  status: string;
  /** Where it goes: a WeCom webhook URL, a phone number, an e-mail address, or 'log'. */
  target: string;
  title: string;
  body: string;
  /** JSON of the alert's data (masked values only), for summaries and digests. */
  data: string | null;
  batch_id: number | null;
  attempts: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface AlertSettingsTable {
  shop_id: number;
  settings: string;
  updated_at: number;
}

export interface NotificationBatchesTable {
  id: Generated<number>;
  channel: string;
  target: string;
  /** single | summary | digest */
  kind: string;
  title: string;
  body: string;
  item_count: number;
  /** sending | sent | failed */
  status: string;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface AlertTargetLocksTable {
  key: string;
  locked_until: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface SuppliersTable {
  id: Generated<number>;
  kind: string;
  name: string;
  member_id: string | null;
  login_id: string | null;
  credit_level: string | null;
  accepts_encrypted: number;
  couriers: string;
  dropship_appid: string | null;
  email: string | null;
  im_contact: string | null;
  dispatch_cutoff: string | null;
  /** 1688 order flow: general | saleproxy | fenxiao; null until set or learned. */
  purchase_flow: string | null;
  purchase_flow_learned: Generated<number>;
  active: number;
  created_at: number;
}

export interface SupplierOffersTable {
  id: Generated<number>;
  supplier_id: number;
  offer_id: string;
  spec_id: string;
  title: string;
  sku_attrs: string;
  unit_price: number;
  moq: number;
  stock: number;
  freight: number;
  lead_time_hours: number;
  refreshed_at: number;
}

export interface SkuMappingsTable {
  id: Generated<number>;
  shop_id: number;
  product_id: string;
  sku_id: string;
  offer_ref: number;
  quantity_per_unit: number;
  bundle_key: string | null;
  priority: number;
  enabled: number;
  created_at: number;
}

export interface SourcingDecisionsTable {
  id: Generated<number>;
  shop_order_id: number;
  line_no: number;
  chosen: string | null;
  candidates: string;
  reason: string;
  override_by: string | null;
  override_reason: string | null;
  created_at: number;
}

export interface PurchaseOrdersTable {
  id: Generated<number>;
  shop_order_id: number;
  supplier_id: number;
  route: string;
  state: PurchaseOrderState;
  out_order_id: string;
  supplier_order_id: string | null;
  expected_amount: number;
  supplier_amount: number | null;
  message: string;
  attempt: number;
  excluded_suppliers: string;
  readback: string | null;
  shadow: number;
  created_at: number;
  updated_at: number;
  version: number;
  tracked_at: number | null;
}

export interface PurchaseOrderLinesTable {
  id: Generated<number>;
  purchase_order_id: number;
  shop_order_line_no: number;
  offer_ref: number;
  offer_id: string;
  spec_id: string;
  title: string;
  quantity: number;
  unit_price: number;
}

export interface CasesTable {
  id: Generated<number>;
  shop_order_id: number | null;
  purchase_order_id: number | null;
  kind: string;
  state: CaseState;
  message: string;
  data: string | null;
  actions: string;
  resolution: string | null;
  resolved_by: string | null;
  dedup_key: string | null;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface SupplierAccountsTable {
  id: Generated<number>;
  kind: string;
  app_key: string;
  app_secret_enc: string;
  access_token_enc: string | null;
  access_expires_at: number | null;
  refresh_token_enc: string | null;
  refresh_expires_at: number | null;
  member_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface PoMessagesTable {
  id: Generated<number>;
  purchase_order_id: number;
  direction: string;
  channel: string;
  status: string;
  subject: string;
  body: string;
  message_id: string | null;
  actor: string;
  data: string | null;
  created_at: number;
}

export interface PaymentsTable {
  id: Generated<number>;
  purchase_order_id: number;
  /** The shop the purchase order is for (set on every payment since migration 0012; the daily cap sums by it). */
  shop_id: number | null;
  pay_key: string;
  method: string;
  amount: number;
  status: PaymentStatus;
  attempts: number;
  /** Pay calls this payment may make (3; a person's retry adds 3 more, 0015). */
  max_calls: Generated<number>;
  reason: string | null;
  approved_by: string | null;
  approved_at: number | null;
  supplier_trade_id: string | null;
  day: string;
  created_at: number;
  updated_at: number;
  pay_url: string | null;
  paid_at: number | null;
  reference: string | null;
  recorded_by: string | null;
  /** Why a Blocked payment is blocked: 'limits' or 'amount' (0018); null otherwise (and for blocks before 0018). */
  block_cause: string | null;
}

/** Per shop and day: the sum of payments whose status commits money (kept by triggers on payments, 0016). */
export interface PaymentDayTotalsTable {
  shop_id: number;
  day: string;
  amount: number;
}

export interface VouchersTable {
  id: Generated<number>;
  payment_id: number;
  kind: string;
  file_name: string;
  mime: string;
  size: number;
  sha256: string;
  content: Buffer;
  supplier_trade_id: string | null;
  uploaded_by: string;
  created_at: number;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  shop_id: number;
  shop_order_id: number;
  purchase_order_id: number | null;
  kind: string;
  amount: number;
  ref: string;
  note: string | null;
  day: string;
  created_at: number;
}

export interface Database {
  shops: ShopsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  inbound_events: InboundEventsTable;
  shop_orders: ShopOrdersTable;
  shop_order_lines: ShopOrderLinesTable;
  order_events: OrderEventsTable;
  jobs: JobsTable;
  job_runs: JobRunsTable;
  daifa_processes: DaifaProcessesTable;
  decode_log: DecodeLogTable;
  decode_usage: DecodeUsageTable;
  notifications: NotificationsTable;
  alert_settings: AlertSettingsTable;
  notification_batches: NotificationBatchesTable;
  alert_target_locks: AlertTargetLocksTable;
  settings: SettingsTable;
  suppliers: SuppliersTable;
  supplier_offers: SupplierOffersTable;
  sku_mappings: SkuMappingsTable;
  sourcing_decisions: SourcingDecisionsTable;
  purchase_orders: PurchaseOrdersTable;
  purchase_order_lines: PurchaseOrderLinesTable;
  cases: CasesTable;
  supplier_accounts: SupplierAccountsTable;
  po_messages: PoMessagesTable;
  payments: PaymentsTable;
  payment_day_totals: PaymentDayTotalsTable;
  ledger_entries: LedgerEntriesTable;
  vouchers: VouchersTable;
  packages: PackagesTable;
  trace_events: TraceEventsTable;
  wx_deliveries: WxDeliveriesTable;
  negotiations: NegotiationsTable;
}

export interface NegotiationsTable {
  id: Generated<number>;
  shop_order_id: number;
  predict_delivery_s: number;
  reason: number;
  remark: string;
  state: NegotiationState;
  requested_by: string;
  created_at: number;
  answered_at: number | null;
}

export interface PackagesTable {
  id: Generated<number>;
  shop_order_id: number;
  purchase_order_id: number;
  source: string;
  logistics_id: string;
  courier_name: string;
  delivery_id: string;
  waybill_id: string;
  items: string;
  status: string;
  shipped_at: number;
  picked_up_at: number | null;
  last_trace_at: number | null;
  signed_at: number | null;
  anomaly: string | null;
  created_at: number;
  updated_at: number;
}

export interface TraceEventsTable {
  id: Generated<number>;
  package_id: number;
  at: number;
  status: string;
  remark: string;
}

export interface WxDeliveriesTable {
  id: Generated<number>;
  shop_order_id: number;
  waybill_id: string;
  delivery_id: string;
  product_infos: string;
  package_ids: string;
  status: DeliveryState;
  updates: number;
  error: string | null;
  /** 1 while a send is in flight: its echo push is counted on the shop order (migration 0017). */
  in_flight: Generated<number>;
  created_at: number;
  updated_at: number;
}
