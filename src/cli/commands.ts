import { createApp, type App } from '../app.js';
import { listPaymentsWithOrders } from '../payments/queries.js';
import { listCases } from '../cases/queries.js';
import { listNotifications } from '../notify/queries.js';
import { listUsersWithTokens, userIdByName } from '../security/accounts.js';
import type { Config } from '../config/config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/dialect.js';
import { createUser, issueToken, revokeTokens, setPassword, type Role } from '../security/accounts.js';
import { DaifaError } from '../lib/errors.js';
import { findOrderId, listOrders, orderDetail, stats } from '../orders/queries.js';
import { resolveReview } from '../orders/review.js';
import { recordSupplierPartialRefund } from '../fulfilment/line-refunds.js';
import { decideBuyerRefund, REFUND_REASONS, type RefundReason } from '../orders/buyer-refund.js';
import { run } from '../runtime/run.js';
import { runDoctor } from './doctor.js';
import { loadSettings, maskSettings, saveSettings } from '../notify/settings.js';
import { MappingsIO } from '../sourcing/mappings-io.js';
import { actionsOf, resolveCase } from '../cases/cases.js';
import { retryCase } from '../cases/retry.js';
import { addSupplier, listSuppliers } from '../sourcing/catalogue-admin.js';
import { recordSupplierReply } from '../purchasing/supplier-replies.js';
import { table, time, yuan } from './format.js';
import { shopOrderStates } from '../domain/shop-order.lifecycle.js';
import { caseStates } from '../domain/purchase-order.lifecycle.js';
import { paymentStatuses } from '../domain/payment.lifecycle.js';

export interface CommandContext {
  config: Readonly<Config>;
  args: string[];
  flags: Record<string, string | boolean | undefined>;
}

/** Exit code; -1 = keep running (servers). */
type Command = (ctx: CommandContext) => Promise<number>;

export const usage = `daifa — 代发 dropshipping for WeChat Shop (微信小店)

用法 / usage:
  daifa serve                       HTTP API + push receiver + workers (sandbox on while no real shop)
  daifa worker                      workers only (run several on PostgreSQL to share the jobs)
  daifa migrate                     apply database migrations
  daifa shops add --name N --app-id wx.. --app-secret S --push-token T --aes-key K [--mode live|shadow]
  daifa shops list [--json]
  daifa orders list [--state S] [--shop ID] [--q TEXT] [--limit N] [--json]
  daifa orders show <id|wechat-order-id> [--json]
  daifa orders review <id> --decision confirm|cancel --note "说明" [--actor NAME]
  daifa orders refund <id> --note "说明" [--lines 2,3] [--reason 10000001]   退款给买家 (whole order, or some lines)
  daifa stats [--shop ID] --json
  daifa jobs list [--status pending|running|done|dead] [--kind K] [--json]
  daifa jobs retry <id>|--all
  daifa users add --username U --password P --role owner|operator|viewer [--token]
  daifa users passwd --username U --password P   new password (that user's browser sessions end, API tokens revoked)
  daifa users list [--json]                      users, roles and their live API tokens (name, scope, expiry)
  daifa users revoke-tokens --username U         revoke every API token of a user
  daifa alerts list [--status pending|sent|failed|folded] [--json]
  daifa alerts settings --shop ID [--set rules.json]   show or set a shop's alert rules (0 = all shops)
  daifa alerts retry                re-send failed alerts
  daifa cases list [--state Open|Resolved] [--shop ID] [--json]   exceptions waiting for a person or a buyer
  daifa cases consent <id> --answer agreed|refused --note "买家微信回复同意改发中通"
  daifa cases retry <id>            run the failed step again (delivery sync, supplier payment) once its cause is fixed
  daifa cases resolve <id> --note "…" [--dismiss]
  daifa cases courier <id> --delivery-id ZTO        name the WeChat courier of a parcel synced as OTHER
  daifa cases supplier-refund <id> --amount 12.30 --reference 流水号 --note "…"   a supplier's partial refund
  daifa suppliers list [--json]
  daifa suppliers add --kind 1688 --name N --member-id b2b-… [--credit L4] [--couriers ZTO,YTO] [--encrypted]
  daifa suppliers add --kind direct --name N --email a@b.cn [--couriers SF]   |  --kind wechat_dropship --appid wx…
  daifa po reply <id> --note "…" [--supplier-order X] [--tracking N --courier SF] [--stock-out]
  daifa mappings export --shop ID --out FILE.csv|.xlsx   SKU ↔ supplier offer mappings
  daifa mappings import --shop ID --file FILE.csv|.xlsx  (bad rows reported by row and column; good rows kept)
  daifa payments list [--status AwaitingApproval|AwaitingPayer|Paying|Paid|Blocked|Failed] [--json]
  daifa payments approve <id> [--note …] | reject <id> --note "原因"     approval queue
  daifa payments link <id…>          1688 payment link for up to 100 payments (paid status is re-read from 1688)
  daifa payments voucher <id> --file 凭证.png|.pdf   then: payments record <id> --amount 12.34 --reference 流水号
  daifa payments check <id>          re-read 1688 now
  daifa money daily [--from 2026-11-01 --to 2026-11-30] [--shop ID]      profit per day
  daifa money reconcile [--day 2026-11-26] [--out report.csv|report.xlsx] daily reconciliation
  daifa doctor                      check database, each shop's token, push configuration, clock
  daifa doctor --shop ID --deep     dry run against the shop's real WeChat Shop and 1688 account: read-only calls,
                                    what each answered (shape only) and whether Daifa understood it

环境变量 / environment: PORT, DATABASE_URL, DAIFA_DATA_DIR, DAIFA_MASTER_KEY, WECHAT_API_BASE,
  DAIFA_SANDBOX, DAIFA_SANDBOX_ORDERS_PER_MINUTE, DAIFA_POLL_INTERVAL_SECONDS, PUBLIC_URL (see README)
`;

async function withApp<T>(config: Readonly<Config>, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(config);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** A flag that must name one of a lifecycle's states (`--state Shipped`): anything else is refused, naming them. */
function stateFlag<S extends string>(v: unknown, states: readonly S[], name: string): S | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!(states as readonly string[]).includes(s))
    throw new DaifaError('VALIDATION', `--${name} 应为以下之一 / must be one of: ${states.join(', ')}`, {
      details: [{ field: name, message: 'unknown state' }],
    });
  return s as S;
}
/** An amount given in yuan (12.30) as fen; anything else is refused. */
function fenArg(v: string): number {
  const fen = Math.round(Number(v) * 100);
  if (!Number.isFinite(fen) || fen <= 0) throw new DaifaError('VALIDATION', `--amount 应为元，例如 12.30 / amount in yuan: ${v}`);
  return fen;
}
/** An id argument (`cases retry <id>` …): a positive whole number, or a usage error naming the command. */
function idArg(v: string | undefined, usage: string): number {
  if (!/^\d{1,12}$/.test(v ?? '') || Number(v) === 0) throw new DaifaError('VALIDATION', `用法 / usage: ${usage}`);
  return Number(v);
}
/** `--shop ID`: absent, or a shop id (a positive whole number) — anything else is refused before any work. */
function shopFlag(flags: Record<string, unknown>): number | undefined {
  if (flags.shop === undefined) return undefined;
  const v = String(flags.shop);
  if (!/^\d{1,12}$/.test(v) || Number(v) === 0)
    throw new DaifaError('VALIDATION', `--shop 应为店铺编号（正整数），收到「${v}」/ --shop must be a shop id`);
  return Number(v);
}
function need(flags: CommandContext['flags'], name: string): string {
  const v = str(flags[name]);
  if (!v) throw new DaifaError('VALIDATION', `缺少参数 --${name} / missing --${name}`);
  return v;
}

function serveLike(mode: { http: boolean; worker: boolean }): Command {
  return async ({ config }) => {
    const running = await run(config, mode);
    if (running.url) {
      out(
        `Daifa 已启动 / running: ${running.url}  — 浏览器打开即是控制台 / open it in a browser for the dashboard (API: ${running.url}/api, health: ${running.url}/health)`,
      );
      if (running.sandbox)
        out(
          `沙箱模式 / sandbox mode: simulated WeChat Shop at ${running.sandbox.url}; orders arrive every ${Math.round(60 / Math.max(config.sandboxOrdersPerMinute, 0.001))}s — try: npx daifa orders list`,
        );
    } else out('Daifa worker 已启动 / worker running');
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      out('正在停止 / stopping…');
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return -1;
  };
}

export const commands: Record<string, Command> = {
  serve: serveLike({ http: true, worker: true }),
  worker: serveLike({ http: false, worker: true }),

  async migrate({ config }) {
    const db = openDatabase(config.databaseUrl);
    try {
      const applied = await migrateToLatest(db);
      out(applied.length ? `已应用 / applied: ${applied.join(', ')}` : '数据库已是最新 / database is up to date');
    } finally {
      await db.close();
    }
    return 0;
  },

  async shops({ config, args, flags }) {
    return withApp(config, async (app) => {
      if (args[0] === 'add') {
        const shop = await app.shops.add({
          name: need(flags, 'name'),
          appId: need(flags, 'app-id'),
          appSecret: need(flags, 'app-secret'),
          pushToken: need(flags, 'push-token'),
          encodingAesKey: need(flags, 'aes-key'),
          mode: (str(flags.mode) as 'live' | 'shadow' | undefined) ?? 'live',
        });
        const base = config.publicUrl ?? `http://<your-public-host>:${config.port}`;
        out(`店铺已添加 / shop added: #${shop.id} ${shop.name}`);
        out(`请在微信小店后台「消息推送」填写 / paste into the WeChat Shop backend (消息推送):`);
        out(`  URL:            ${base}${shop.webhookPath}`);
        out(`  Token:          (the push token you entered)`);
        out(`  EncodingAESKey: (the key you entered)   消息加密方式: 安全模式, 数据格式: JSON`);
        if (!config.publicUrl) out('提示 / tip: set PUBLIC_URL so the printed URL is complete.');
        return 0;
      }
      if (args[0] === 'list' || !args[0]) {
        const shops = await app.shops.list();
        if (flags.json) out(JSON.stringify(shops, null, 2));
        else
          out(
            table(
              shops.map((s) => ({
                id: s.id,
                name: s.name,
                appId: s.appId,
                mode: s.mode,
                sandbox: s.isSandbox ? 'yes' : '',
                webhook: s.webhookPath,
              })),
              ['id', 'name', 'appId', 'mode', 'sandbox', 'webhook'],
            ),
          );
        return 0;
      }
      throw new DaifaError('VALIDATION', `shops ${args[0]}: 未知子命令 / unknown subcommand`);
    });
  },

  async orders({ config, args, flags }) {
    return withApp(config, async (app) => {
      const sub = args[0] ?? 'list';
      if (sub === 'list') {
        const r = await listOrders(app.db, {
          state: stateFlag(flags.state, shopOrderStates, 'state'),
          shopId: shopFlag(flags),
          q: str(flags.q),
          limit: flags.limit ? Number(flags.limit) : 50,
          cursor: str(flags.cursor),
        });
        if (flags.json) out(JSON.stringify(r, null, 2));
        else {
          out(
            table(
              r.orders.map((o) => ({
                id: o.id,
                微信订单号: o.wxOrderId,
                状态: `${o.stateLabel}`,
                金额: yuan(o.orderPrice),
                收货: o.receiver,
                原因: o.reviewReasons.join(','),
                时间: time(o.createdAt),
              })),
              ['id', '微信订单号', '状态', '金额', '收货', '原因', '时间'],
            ),
          );
          if (r.nextCursor) out(`更多 / more: --cursor ${r.nextCursor}`);
        }
        return 0;
      }
      if (sub === 'show') {
        if (!args[1]) throw new DaifaError('VALIDATION', '用法 / usage: daifa orders show <id>');
        const d = await orderDetail(app.db, await findOrderId(app.db, args[1]));
        if (flags.json) {
          out(JSON.stringify(d, null, 2));
          return 0;
        }
        out(`订单 #${d.id}  微信订单号 ${d.wxOrderId}  状态 ${d.stateLabel} (${d.state})  微信状态 ${d.wxStatus}`);
        out(`金额 ${yuan(d.amounts.orderPrice)}（商品 ${yuan(d.amounts.productPrice)}，运费 ${yuan(d.amounts.freight)}）`);
        out(
          `收货 ${d.address.userName} ${d.address.telNumber} ${d.address.provinceName}${d.address.cityName}${d.address.countyName} ${d.address.detailInfo}`,
        );
        if (d.buyerNotes) out(`买家留言 ${d.buyerNotes}`);
        out('\n商品 / lines:');
        out(
          table(
            d.lines.map((l) => ({
              '#': l.lineNo,
              商品: l.title,
              规格: l.skuAttrs.map((a: { key: string; value: string }) => `${a.key}:${a.value}`).join(' '),
              数量: l.quantity,
              实付: yuan(l.paidAmount),
              发货期限: time((l.deliveryDeadline ?? 0) * 1000),
            })),
            ['#', '商品', '规格', '数量', '实付', '发货期限'],
          ),
        );
        if (d.reviewReasons.length)
          out(
            `\n审核原因 / review reasons:\n${d.reviewReasons.map((r: { code: string; message: string }) => `  - [${r.code}] ${r.message}`).join('\n')}`,
          );
        if (d.notes.length)
          out(`\n备注 / notes:\n${d.notes.map((r: { code: string; message: string }) => `  - [${r.code}] ${r.message}`).join('\n')}`);
        if (d.decisions.length) {
          out('\n供应商选择 / supplier choice:');
          for (const dec of d.decisions) {
            out(`  #${dec.lineNo} ${dec.reason}`);
            out(
              table(
                dec.candidates.map((c: any) => ({
                  供应商: c.supplierName,
                  可行: c.feasible ? '✓' : `✗ ${c.blockers.join('，')}`,
                  到手成本: yuan(c.landedCost),
                  毛利: yuan(c.margin),
                  成本分: c.components.cost,
                  可靠: c.components.reliability,
                  速度: c.components.speed,
                  信誉: c.components.reputation,
                  总分: c.score,
                })),
                ['供应商', '可行', '到手成本', '毛利', '成本分', '可靠', '速度', '信誉', '总分'],
              ).replace(/^/gm, '    '),
            );
          }
        }
        if (d.purchaseOrders.length) {
          out('\n采购单 / purchase orders:');
          out(
            table(
              d.purchaseOrders.map((p: any) => ({
                id: p.id,
                供应商: p.supplier,
                状态: p.state,
                渠道: p.route,
                外部单号: p.outOrderId,
                '1688单号': p.supplierOrderId ?? '',
                金额: yuan(p.supplierAmount ?? p.expectedAmount),
              })),
              ['id', '供应商', '状态', '渠道', '外部单号', '1688单号', '金额'],
            ),
          );
        }
        if (d.payments.length) {
          out('\n付款 / payments:');
          out(
            table(
              d.payments.map((p: any) => ({
                id: p.id,
                采购单: p.purchase_order_id,
                方式: p.method,
                金额: yuan(p.amount),
                状态: p.status,
                交易号: p.supplier_trade_id ?? '',
                批准: p.approved_by ?? '',
                凭证: p.vouchers.length,
              })),
              ['id', '采购单', '方式', '金额', '状态', '交易号', '批准', '凭证'],
            ),
          );
        }
        if (d.packages.length) {
          out('\n包裹 / parcels:');
          out(
            table(
              d.packages.map((k: any) => ({
                采购单: k.purchaseOrderId,
                快递: `${k.courier} → ${k.deliveryId}`,
                单号: k.waybill,
                件数: k.items.reduce((s: number, i: { quantity: number }) => s + i.quantity, 0),
                状态: k.status,
                最新: k.trace.at(-1)?.remark ?? '',
                异常: k.anomaly ?? '',
              })),
              ['采购单', '快递', '单号', '件数', '状态', '最新', '异常'],
            ),
          );
        }
        if (d.deliveries.length)
          out(
            `\n微信发货 / synced to WeChat:\n${d.deliveries.map((x: any) => `  - ${x.deliveryId} ${x.waybill} ${x.status}：${x.products.map((p: { skuId: string; count: number }) => `${p.skuId}×${p.count}`).join('，')}${x.updates ? `（单号修改 ${x.updates} 次）` : ''}`).join('\n')}`,
          );
        const m = d.ledger;
        out(
          `\n账 / money: 收入 ${yuan(m.revenue)}  供应商已付 ${yuan(m.supplierPaid)}  退款 ${yuan(m.refundsToBuyer)} / 供应商退回 ${yuan(m.refundsFromSuppliers)}  佣金 ${yuan(m.commission)}  利润 ${yuan(m.profit)}  待付供应商 ${yuan(m.payableOutstanding)}`,
        );
        if (d.cases.length)
          out(`\n异常 / cases:\n${d.cases.map((c: any) => `  - #${c.id} [${c.kind}] ${c.state} ${c.message}`).join('\n')}`);
        out('\n历史 / history:');
        out(
          table(
            d.history.map((h) => ({
              时间: time(h.at),
              事件: h.event,
              状态: h.from ? `${h.from} → ${h.to}` : (h.to ?? ''),
              操作人: h.actor,
              说明: h.note ?? '',
            })),
            ['时间', '事件', '状态', '操作人', '说明'],
          ),
        );
        return 0;
      }
      if (sub === 'review') {
        if (!args[1]) throw new DaifaError('VALIDATION', '用法 / usage: daifa orders review <id> --decision confirm|cancel --note "…"');
        const decision = need(flags, 'decision');
        if (decision !== 'confirm' && decision !== 'cancel') throw new DaifaError('VALIDATION', '--decision 必须是 confirm 或 cancel');
        const r = await resolveReview(app.db, app.clock, {
          shopOrderId: await findOrderId(app.db, args[1]),
          decision,
          note: need(flags, 'note'),
          actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
        });
        out(`已处理 / resolved: ${r.state}`);
        return 0;
      }
      if (sub === 'refund') {
        if (!args[1])
          throw new DaifaError('VALIDATION', '用法 / usage: daifa orders refund <id> --note "…" [--lines 2,3] [--reason 10000001]');
        const reason = (str(flags.reason) ?? '10000001') as RefundReason;
        if (!(reason in REFUND_REASONS))
          throw new DaifaError(
            'VALIDATION',
            `--reason 必须是 ${Object.entries(REFUND_REASONS)
              .map(([k, v]) => `${k}(${v})`)
              .join(' ')}`,
          );
        const lines = str(flags.lines)
          ?.split(',')
          .map((x) => Number(x.trim()));
        if (lines?.some((n) => !Number.isInteger(n) || n < 1))
          throw new DaifaError('VALIDATION', '--lines 为行号，如 2 或 1,3 / line numbers');
        const r = await decideBuyerRefund(app.db, app.clock, {
          shopOrderId: await findOrderId(app.db, args[1]),
          lines,
          reason,
          note: need(flags, 'note'),
          actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
        });
        out(
          `已决定退款 / refund decided: 第 ${r.lines.join('、')} 行${r.whole ? '（整单，订单已取消）' : ''}；订单状态 ${r.state}。Daifa 正在微信小店为买家发起退款。`,
        );
        return 0;
      }
      throw new DaifaError('VALIDATION', `orders ${sub}: 未知子命令 / unknown subcommand`);
    });
  },

  async stats({ config, flags }) {
    return withApp(config, async (app) => {
      const s = await stats(app.db, { shopId: shopFlag(flags) });
      if (flags.json) out(JSON.stringify(s, null, 2));
      else {
        out(`订单 / shop orders: ${s.shopOrders.total}`);
        for (const [k, v] of Object.entries(s.shopOrders.byState)) out(`  ${k}: ${v}`);
        out(`任务 / jobs: ${JSON.stringify(s.jobs.byStatus)}  失败 / dead: ${s.jobs.dead}`);
        out(
          `运行中的进程 / running processes: ${s.processes.length}${s.processes.map((p) => `\n  ${p.role} ${p.host} pid ${p.pid}`).join('')}`,
        );
      }
      return 0;
    });
  },

  async jobs({ config, args, flags }) {
    return withApp(config, async (app) => {
      if ((args[0] ?? 'list') === 'list') {
        const jobs = await app.queue.list({
          status: str(flags.status),
          kind: str(flags.kind),
          limit: flags.limit ? Number(flags.limit) : 50,
        });
        if (flags.json) out(JSON.stringify(jobs, null, 2));
        else
          out(
            table(
              jobs.map((j) => ({
                id: j.id,
                kind: j.kind,
                status: j.status,
                attempts: `${j.attempts}/${j.max_attempts}`,
                runAt: time(j.run_at),
                error: (j.last_error ?? '').slice(0, 60),
              })),
              ['id', 'kind', 'status', 'attempts', 'runAt', 'error'],
            ),
          );
        return 0;
      }
      if (args[0] === 'retry') {
        const n = flags.all ? await app.queue.retryDead('all') : await app.queue.retryDead([idArg(args[1], 'daifa jobs retry <id>|--all')]);
        out(`已重新排队 / requeued: ${n}`);
        return n > 0 ? 0 : 1;
      }
      throw new DaifaError('VALIDATION', `jobs ${args[0]}: 未知子命令 / unknown subcommand`);
    });
  },

  async users({ config, args, flags }) {
    return withApp(config, async (app) => {
      if (args[0] === 'passwd') {
        await setPassword(app.db, need(flags, 'username'), need(flags, 'password'));
        out(`密码已修改 / password changed: ${flags.username}`);
        return 0;
      }
      if (args[0] === 'list') {
        const rows = (await listUsersWithTokens(app.db, app.clock.now())).map((u) => {
          const mine = u.tokens;
          return {
            id: u.id,
            username: u.username,
            role: u.role,
            disabled: u.disabled === 1,
            tokens: mine.length,
            tokenNames: mine.map((t) => `${t.name}(${t.scope}, ${time(Number(t.expires_at))} 到期)`).join(' '),
          };
        });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else
          out(
            table(
              rows.map((r) => ({
                id: r.id,
                用户: r.username,
                角色: r.role,
                停用: r.disabled ? '是' : '',
                令牌: `${r.tokens} ${r.tokenNames}`,
              })),
              ['id', '用户', '角色', '停用', '令牌'],
            ),
          );
        return 0;
      }
      if (args[0] === 'revoke-tokens') {
        const username = need(flags, 'username');
        out(`已撤销 / revoked: ${await revokeTokens(app.db, await userIdByName(app.db, username))} 个 API 令牌`);
        return 0;
      }
      if (args[0] !== 'add')
        throw new DaifaError(
          'VALIDATION',
          '用法 / usage: daifa users add --username U --password P --role owner|operator|viewer | daifa users passwd --username U --password P | daifa users list | daifa users revoke-tokens --username U',
        );
      const id = await createUser(
        app.db,
        { username: need(flags, 'username'), password: need(flags, 'password'), role: need(flags, 'role') as Role },
        app.clock.now(),
      );
      out(`用户已创建 / user created: #${id}`);
      if (flags.token) out(`API token: ${await issueToken(app.db, id, 'cli', app.clock.now())}`);
      return 0;
    });
  },

  async alerts({ config, args, flags }) {
    return withApp(config, async (app) => {
      const sub = args[0] ?? 'list';
      if (sub === 'list') {
        const rows = await listNotifications(app.db, { status: str(flags.status), limit: flags.limit ? Number(flags.limit) : 50 });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else
          out(
            table(
              rows.map((r) => ({
                id: r.id,
                事件: r.event,
                渠道: r.channel,
                状态: r.status,
                标题: r.title,
                次数: r.attempts,
                错误: (r.last_error ?? '').slice(0, 40),
                时间: time(r.created_at),
              })),
              ['id', '事件', '渠道', '状态', '标题', '次数', '错误', '时间'],
            ),
          );
        return 0;
      }
      if (sub === 'settings') {
        const shopId = Number(need(flags, 'shop'));
        if (str(flags.set)) {
          const { readFileSync } = await import('node:fs');
          const saved = maskSettings(
            await saveSettings(app.db, app.box, app.outbound, shopId, JSON.parse(readFileSync(str(flags.set)!, 'utf8')), app.clock.now()),
          );
          await app.notifier.ensureDigestsScheduled();
          out(JSON.stringify(saved, null, 2));
        } else out(JSON.stringify(maskSettings(await loadSettings(app.db.kysely, app.box, shopId)), null, 2));
        return 0;
      }
      if (sub === 'retry') {
        out(`已重新排队 / requeued: ${await app.notifier.retryFailed()}`);
        return 0;
      }
      throw new DaifaError('VALIDATION', `alerts ${sub}: 未知子命令 / unknown subcommand`);
    });
  },

  async mappings({ config, args, flags }) {
    return withApp(config, async (app) => {
      const { readFileSync, writeFileSync } = await import('node:fs');
      const io = new MappingsIO(app.db, app.clock);
      const shopId = shopFlag(flags) ?? Number(need(flags, 'shop'));
      if (args[0] === 'export') {
        const file = need(flags, 'out');
        if (file.endsWith('.xlsx')) writeFileSync(file, await io.exportXlsx(shopId));
        else writeFileSync(file, await io.exportCsv(shopId));
        out(`已导出 / exported: ${file}`);
        return 0;
      }
      if (args[0] === 'import') {
        const file = need(flags, 'file');
        const r = file.endsWith('.xlsx')
          ? await io.importXlsx(shopId, readFileSync(file))
          : await io.importCsv(shopId, readFileSync(file, 'utf8'));
        out(`已导入 / imported: ${r.imported} 行`);
        for (const e of r.errors) out(`  第 ${e.row} 行 [${e.column}] ${e.message}`);
        return r.errors.length ? 1 : 0;
      }
      throw new DaifaError('VALIDATION', '用法 / usage: daifa mappings export|import --shop ID --out|--file FILE(.csv|.xlsx)');
    });
  },

  async cases({ config, args, flags }) {
    return withApp(config, async (app) => {
      const sub = args[0] ?? 'list';
      if (sub === 'list') {
        const { cases: rows } = await listCases(app.db, {
          state: stateFlag(flags.state, caseStates, 'state') ?? 'Open',
          shopId: shopFlag(flags),
          order: 'asc',
          limit: 200,
        });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else
          out(
            table(
              rows.map((c) => ({
                id: c.id,
                类型: c.kind,
                状态: c.state,
                订单: c.shop_order_id ?? '',
                说明: c.message.slice(0, 60),
                可选操作: actionsOf(c.kind, c.actions).join('/'),
                时间: time(c.created_at),
              })),
              ['id', '类型', '状态', '订单', '说明', '可选操作', '时间'],
            ),
          );
        return 0;
      }
      if (sub === 'consent') {
        const answer = need(flags, 'answer');
        if (answer !== 'agreed' && answer !== 'refused') throw new DaifaError('VALIDATION', '--answer 必须是 agreed 或 refused');
        const r = await app.consent.record({
          caseId: idArg(args[1], 'daifa cases consent <id> --answer agreed|refused --note "…"'),
          answer,
          note: need(flags, 'note'),
          actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
        });
        out(`已记录 / recorded: 订单状态 ${r.orderState}`);
        return 0;
      }
      if (sub === 'retry') {
        const r = await retryCase(
          app,
          idArg(args[1], 'daifa cases retry <id>'),
          `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
        );
        out(`已重试 / retried: ${r.kind} → ${r.outcome}`);
        return 0;
      }
      if (sub === 'resolve') {
        await resolveCase(
          app.db,
          {
            caseId: idArg(args[1], 'daifa cases resolve <id> --note "…" [--dismiss]'),
            resolution: need(flags, 'note'),
            actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
            dismiss: Boolean(flags.dismiss),
          },
          app.clock.now(),
        );
        out('已处理 / resolved');
        return 0;
      }
      const actor = `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`;
      if (sub === 'courier') {
        const r = await app.tracking.setCourier(
          idArg(args[1], 'daifa cases courier <id> --delivery-id ZTO'),
          need(flags, 'delivery-id').toUpperCase(),
          actor,
        );
        out(`已更新 / updated: ${r.packages} 个包裹，微信物流信息随后同步`);
        return 0;
      }
      if (sub === 'supplier-refund') {
        const r = await recordSupplierPartialRefund(app.db, app.clock, {
          caseId: idArg(args[1], 'daifa cases supplier-refund <id> --amount 12.30 --reference X --note "…"'),
          amount: fenArg(need(flags, 'amount')),
          reference: need(flags, 'reference'),
          note: need(flags, 'note'),
          actor,
        });
        out(`已登记 / recorded: ${yuan(r.refunded)}，尚在供应商处 ${yuan(r.stillPaid)}`);
        return 0;
      }
      throw new DaifaError('VALIDATION', `cases ${sub}: 未知子命令 / unknown subcommand`);
    });
  },

  async suppliers({ config, args, flags }) {
    return withApp(config, async (app) => {
      if ((args[0] ?? 'list') === 'list') {
        const list = await listSuppliers(app.db);
        if (flags.json) out(JSON.stringify(list, null, 2));
        else
          out(
            table(
              list.map((s) => ({
                id: s.id,
                类型: s.kind,
                名称: s.name,
                会员ID: s.memberId ?? '',
                邮箱: s.email ?? '',
                快递: s.couriers.join('/'),
                启用: s.active ? '✓' : '',
              })),
              ['id', '类型', '名称', '会员ID', '邮箱', '快递', '启用'],
            ),
          );
        return 0;
      }
      if (args[0] === 'add') {
        const kind = need(flags, 'kind');
        const couriers = str(flags.couriers)?.split(',').filter(Boolean) ?? [];
        const input =
          kind === '1688'
            ? {
                kind,
                name: need(flags, 'name'),
                memberId: need(flags, 'member-id'),
                loginId: str(flags['login-id']),
                creditLevel: str(flags.credit),
                acceptsEncrypted: flags.encrypted === true || flags.encrypted === 'true',
                couriers,
              }
            : kind === 'direct'
              ? { kind, name: need(flags, 'name'), email: need(flags, 'email'), couriers }
              : { kind, name: need(flags, 'name'), dropshipAppId: need(flags, 'appid'), couriers };
        out(`供应商已添加 / supplier added: #${await addSupplier(app.db, input, app.clock.now())}`);
        return 0;
      }
      throw new DaifaError('VALIDATION', `suppliers ${args[0]}: 未知子命令 / unknown subcommand`);
    });
  },

  async po({ config, args, flags }) {
    return withApp(config, async (app) => {
      if (args[0] !== 'reply' || !args[1])
        throw new DaifaError(
          'VALIDATION',
          '用法 / usage: daifa po reply <采购单id> --note "供应商说…" [--supplier-order X] [--tracking SF123 --courier SF] [--stock-out]',
        );
      const r = await recordSupplierReply(
        app.db,
        app.clock,
        {
          purchaseOrderId: idArg(args[1], 'daifa po reply <id> --note "…"'),
          actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}`,
          body: need(flags, 'note'),
          supplierOrderId: str(flags['supplier-order']),
          courier: str(flags.courier),
          trackingNumber: str(flags.tracking),
          stockOut: flags['stock-out'] === true,
        },
        (poId) => app.placement.supplierStockOut(poId),
        (poId, courier, waybill) =>
          app.tracking.recordManual(poId, { courier, waybill, actor: `cli:${str(flags.actor) ?? process.env.USER ?? 'operator'}` }),
      );
      out(`已记录 / recorded (${r.thread} 条沟通记录)${r.outcome ? `；缺货处理：${r.outcome}` : ''}`);
      return 0;
    });
  },

  async payments({ config, args, flags }) {
    return withApp(config, async (app) => {
      const sub = args[0] ?? 'list';
      const actor = `cli:${str(flags.actor) ?? process.env.USER ?? 'owner'}`;
      if (sub === 'list') {
        const rows = await listPaymentsWithOrders(app.db, { status: stateFlag(flags.status, paymentStatuses, 'status') });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else
          out(
            table(
              rows.map((r) => ({
                id: r.id,
                订单: r.wx_order_id,
                采购单: r.poId,
                方式: r.method,
                金额: yuan(r.amount),
                状态: r.status,
                原因: (r.reason ?? '').slice(0, 40),
                批准人: r.approved_by ?? '',
                时间: time(r.created_at),
              })),
              ['id', '订单', '采购单', '方式', '金额', '状态', '原因', '批准人', '时间'],
            ),
          );
        return 0;
      }
      const id = Number(args[1]);
      if ((sub === 'approve' || sub === 'reject') && id > 0) {
        if (sub === 'reject' && !str(flags.note)) throw new DaifaError('VALIDATION', '拒绝需要 --note 说明原因 / --note required');
        out(`付款 #${id}: ${await app.payments.decideApproval(id, { approve: sub === 'approve', actor, note: str(flags.note) })}`);
        return 0;
      }
      if (sub === 'link') {
        const ids = args
          .slice(1)
          .map(Number)
          .filter((n) => n > 0);
        const r = await app.payments.paymentLink(ids, actor);
        if (r.payUrl)
          out(
            `请在已登录 1688 的浏览器中打开并付款 / open and pay:\n  ${r.payUrl}\n付款后 Daifa 会自动核对 1688 订单状态（不会仅凭链接标记已付）`,
          );
        for (const f of r.refused) out(`  付款 #${f.paymentId} 未包含：${f.reason}`);
        return r.payUrl ? 0 : 1;
      }
      if (sub === 'check' && id > 0) {
        out(`付款 #${id}: ${await app.payments.checkNow(id)}`);
        return 0;
      }
      if (sub === 'voucher' && id > 0) {
        const { readFileSync } = await import('node:fs');
        const { basename } = await import('node:path');
        const file = need(flags, 'file');
        const bytes = readFileSync(file);
        const { validateVoucher, storeVoucher } = await import('../payments/vouchers.js');
        const kind = validateVoucher(bytes, undefined);
        const v = await storeVoucher(
          app.db.kysely,
          { paymentId: id, kind: 'upload', fileName: basename(file), mime: kind.mime, bytes, actor },
          app.clock.now(),
        );
        out(`凭证 #${v.id} ${v.created ? '已保存' : '已存在（同一文件）'} sha256=${v.sha256} ${v.size} 字节`);
        return 0;
      }
      if (sub === 'record' && id > 0) {
        const amount = fenArg(need(flags, 'amount'));
        const paidAt = str(flags['paid-at']) ? Date.parse(str(flags['paid-at'])!) : app.clock.now();
        if (!Number.isFinite(paidAt)) throw new DaifaError('VALIDATION', '--paid-at 日期格式不正确（例 2026-11-26T10:00:00+08:00）');
        out(
          `付款 #${id}: ${await app.payments.recordManual(id, { amount, paidAt, reference: need(flags, 'reference'), channel: str(flags.channel) === 'other' ? 'other' : 'bank_transfer', actor })}`,
        );
        return 0;
      }
      throw new DaifaError(
        'VALIDATION',
        '用法 / usage: daifa payments list|approve <id>|reject <id> --note|link <id…>|check <id>|voucher <id> --file F|record <id> --amount 12.34 --reference R',
      );
    });
  },

  async money({ config, args, flags }) {
    return withApp(config, async (app) => {
      const { dailyMoney, reconcile, reconciliationCsv, reconciliationXlsx } = await import('../payments/ledger.js');
      const { cnDate } = await import('../notify/settings.js');
      const shopId = shopFlag(flags);
      const today = cnDate(app.clock.now());
      if ((args[0] ?? 'daily') === 'daily') {
        const rows = await dailyMoney(app.db, {
          shopId,
          from: str(flags.from) ?? cnDate(app.clock.now() - 29 * 86_400_000),
          to: str(flags.to) ?? today,
        });
        if (flags.json) out(JSON.stringify(rows, null, 2));
        else
          out(
            table(
              rows.map((r) => ({
                日期: r.day,
                收入: yuan(r.revenue),
                供应商付款: yuan(r.supplierPaid),
                退款: yuan(r.refundsToBuyer),
                供应商退回: yuan(r.refundsFromSuppliers),
                佣金: yuan(r.commission),
                利润: yuan(r.profit),
              })),
              ['日期', '收入', '供应商付款', '退款', '供应商退回', '佣金', '利润'],
            ),
          );
        return 0;
      }
      if (args[0] === 'reconcile') {
        const r = await reconcile(app.db, { day: str(flags.day) ?? today, shopId });
        const file = str(flags.out);
        if (file) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(file, file.endsWith('.xlsx') ? await reconciliationXlsx(r) : reconciliationCsv(r));
          out(`已导出 / exported: ${file}`);
        }
        if (flags.json) out(JSON.stringify(r, null, 2));
        else {
          out(
            `对账 ${r.day}: 收入 ${yuan(r.totals.revenue)}  供应商订单 ${yuan(r.totals.supplierOrderTotals)}  供应商付款 ${yuan(r.totals.supplierPayments)}  利润 ${yuan(r.totals.profit)}`,
          );
          out(
            r.unexplained.length
              ? `未解释差异 ${r.unexplained.length} 条 / unexplained differences:`
              : '无未解释差异 / no unexplained differences',
          );
          for (const d of r.unexplained) out(`  [${d.kind}] 订单 ${d.wxOrderId} 采购单 ${d.purchaseOrderId ?? '-'}: ${d.message}`);
          for (const d of r.explained) out(`  已解释 [${d.kind}] 订单 ${d.wxOrderId}: ${d.message} — ${d.explanation}`);
        }
        return r.unexplained.length ? 2 : 0;
      }
      throw new DaifaError(
        'VALIDATION',
        '用法 / usage: daifa money daily [--from D --to D] | daifa money reconcile [--day 2026-11-26] [--out report.csv|.xlsx]',
      );
    });
  },

  async doctor({ config, flags }) {
    const deep = flags.deep === true || flags.deep === 'true';
    const shopId = shopFlag(flags);
    if (deep && shopId === undefined) throw new DaifaError('VALIDATION', '用法 / usage: daifa doctor --shop ID --deep');
    return runDoctor(config, { shopId, deep });
  },
};
