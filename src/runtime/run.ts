import { tokenWatchJob, trackingSweepJob } from '../jobs/catalogue.js';
import { hasUsers } from '../security/accounts.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SandboxClock, systemClock } from '../lib/clock.js';
import { simTime } from '../../sandbox/clock.js';
import { pruneRetention } from '../db/retention.js';
import type { FastifyInstance } from 'fastify';
import { createApp, createWorker, type App } from '../app.js';
import type { Config } from '../config/config.js';
import { createUser } from '../security/accounts.js';
import { buildHttp } from '../http/server.js';
import type { Worker } from '../jobs/worker.js';
import { ProcessRegistry } from './process-registry.js';
import { randomAlnum } from '../lib/random.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import {
  bootstrapSandbox1688,
  bootstrapSandboxShops,
  SANDBOX_WECOM_KEY,
  startOrderGenerator,
  type OrderGenerator,
} from './sandbox-bootstrap.js';
import { SANDBOX_SMS } from '../../sandbox/tencent-sms.js';
import { autosaveSandbox, loadSandboxState, restoreSandbox, type SandboxAutosave } from '../../sandbox/persist.js';
import { join } from 'node:path';

export interface Running {
  app: App;
  http?: FastifyInstance;
  worker?: Worker;
  sandbox?: Sandbox;
  url?: string;
  stop(): Promise<void>;
}

/** Sandbox mode: explicit DAIFA_SANDBOX, else on while no real shop is configured. */
async function sandboxWanted(config: Readonly<Config>): Promise<boolean> {
  if (config.sandbox !== undefined) return config.sandbox;
  const probe = await createApp(config, { log: undefined });
  try {
    return (await probe.shops.countReal()) === 0;
  } finally {
    await probe.close();
  }
}

/** The sandbox clock's saved offset and rate; an unreadable file starts at real time. */
function readClockState(file: string): { offsetMs?: number; rate?: number } {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { offsetMs?: unknown; rate?: unknown };
    const offsetMs = typeof s.offsetMs === 'number' && Number.isFinite(s.offsetMs) && s.offsetMs >= 0 ? s.offsetMs : 0;
    const rate = typeof s.rate === 'number' && s.rate >= 1 && s.rate <= SandboxClock.MAX_RATE ? s.rate : 1;
    return { offsetMs, rate };
  } catch {
    return {};
  }
}

function writeClockState(file: string, clock: SandboxClock): void {
  try {
    writeFileSync(file, JSON.stringify({ offsetMs: Math.round(clock.offsetMs), rate: clock.rate }), { mode: 0o600 });
  } catch {
    // The data directory is checked at start; a failed write only loses a few seconds of sandbox time.
  }
}

export async function run(config: Readonly<Config>, mode: { http: boolean; worker: boolean }): Promise<Running> {
  const sandboxOn = await sandboxWanted(config);
  let sandbox: Sandbox | undefined;
  // 沙箱时间: with the simulators in this process, Daifa and the simulated platforms run on one clock the merchant can
  // fast-forward or speed up (sandbox page); kept across restarts so time never runs backwards for the saved orders.
  const clockFile = join(config.dataDir, 'sandbox-clock.json');
  const clock = sandboxOn && mode.http ? new SandboxClock(readClockState(clockFile)) : undefined;
  if (clock) simTime.clock = clock;
  if (sandboxOn && mode.http)
    sandbox = await startSandbox({
      port: config.sandboxPort,
      smtpPort: config.sandboxPort + 1,
      host: '127.0.0.1',
      api: { decodeDailyQuota: 100_000 },
    });
  const sandboxBase = sandbox?.url ?? (sandboxOn ? `http://127.0.0.1:${config.sandboxPort}` : undefined);
  // In the sandbox every alert channel goes to its twin: WeCom robot, Tencent SMS, and an SMTP server.
  const app = await createApp(config, {
    ...(clock ? { clock } : {}),
    wechatApiBase: sandboxBase,
    alibabaApiBase: sandboxBase,
    ...(sandboxBase
      ? {
          wecomWebhookUrl: config.wecomWebhookUrl ?? `${sandboxBase}/cgi-bin/webhook/send?key=${SANDBOX_WECOM_KEY}`,
          sms: config.sms ?? { endpoint: `${sandboxBase}/tencent-sms/`, ...SANDBOX_SMS },
          smtpUrl: config.smtpUrl ?? `smtp://127.0.0.1:${config.sandboxPort + 1}`,
          defaultAlertTargets: { sms: ['13800138000'], email: ['merchant@example.com'] },
          // The real free decode quota (30/day) would stop the rehearsal after 30 orders.
          decodeDailyQuota: Math.max(config.decodeDailyQuota, 100_000),
          // The twins listen on loopback: the sandbox allows it (a real install does not, unless told).
          outbound: { hosts: config.outbound.hosts, allowPrivate: config.outbound.allowPrivate ?? true },
        }
      : {}),
  });
  const timers: NodeJS.Timeout[] = [];
  const registry = new ProcessRegistry(app.db, app.clock, app.apiShare, app.log);
  await registry.start(mode.worker ? (mode.http ? 'serve' : 'worker') : 'http');
  let generator: OrderGenerator | undefined;
  let autosave: SandboxAutosave | undefined;
  let http: FastifyInstance | undefined;
  let url: string | undefined;

  if (mode.http) {
    await ensureFirstUser(app);
    http = await buildHttp(app, {
      sandbox: sandbox
        ? {
            info: async () => ({
              simulatorUrl: sandbox!.url,
              wecomMessages: sandbox!.wecom.messages.slice(-50),
              smsMessages: sandbox!.sms.messages.slice(-50),
              emails: sandbox!.smtp.messages.slice(-20).map(({ raw: _raw, ...m }) => m),
              push: sandbox!.wechat.push.stats,
              orders: sandbox!.wechat.allOrders().length,
            }),
            generator: () => generator,
            knobs1688: sandbox.alibaba.knobs,
            clock,
            clockChanged: () => clock && writeClockState(clockFile, clock),
          }
        : undefined,
    });
    await http.listen({ port: config.port, host: config.host });
    url = `http://127.0.0.1:${config.port}`;
    app.log.info({ url, sandbox: sandboxOn }, 'Daifa HTTP listening');
    if (sandbox) {
      await bootstrapSandboxShops(app, sandbox, url);
      await bootstrapSandbox1688(
        app,
        sandbox,
        (await app.shops.list()).filter((s) => s.isSandbox).map((s) => s.id),
        url,
      );
      // The simulated platforms keep their orders across restarts, as the real ones do.
      const stateFile = join(config.dataDir, 'sandbox-state.json');
      const loaded = loadSandboxState(stateFile);
      if (loaded.movedAside)
        app.log.warn({ file: loaded.movedAside }, 'sandbox state file unreadable: moved aside, the sandbox starts empty');
      if (loaded.state) app.log.info(restoreSandbox(sandbox, loaded.state), 'sandbox orders restored');
      autosave = autosaveSandbox(sandbox, stateFile, { onError: (err) => app.log.error({ err }, 'sandbox state not saved') });
      generator = startOrderGenerator(app, sandbox, config.sandboxOrdersPerMinute);
      if (clock) {
        writeClockState(clockFile, clock);
        const t = setInterval(() => writeClockState(clockFile, clock), 5_000);
        t.unref();
        timers.push(t);
      }
    }
  }

  let worker: Worker | undefined;
  if (mode.worker) {
    worker = createWorker(app);
    worker.start();
    await app.poller.ensureScheduled();
    await app.notifier.ensureDigestsScheduled();
    await app.queue.add(tokenWatchJob());
    await app.queue.add(trackingSweepJob(60_000));
    // Re-check the poll schedule every minute (new shops, a poll job an operator retried); prune old jobs hourly.
    timers.push(
      setInterval(() => void app.poller.ensureScheduled().catch((err) => app.log.error({ err }, 'poll schedule check failed')), 60_000),
    );
    timers.push(setInterval(() => void app.queue.prune(7 * 86400_000).catch(() => undefined), 3600_000));
    // Raw webhook bodies and the decode log are kept only their configured days (DAIFA_RETENTION_*).
    const retain = () =>
      void pruneRetention(app.db, app.clock.now(), config.retention).then(
        (r) => app.log.debug(r, 'retention sweep'),
        (err) => app.log.error({ err }, 'retention sweep failed'),
      );
    retain();
    timers.push(setInterval(retain, 3600_000));
  }

  return {
    app,
    http,
    worker,
    sandbox,
    url,
    async stop() {
      for (const t of timers) clearInterval(t);
      generator?.stop();
      await worker?.stop();
      await http?.close();
      await registry.stop().catch(() => undefined);
      autosave?.stop();
      if (clock && sandbox) writeClockState(clockFile, clock);
      simTime.clock = systemClock;
      await sandbox?.close();
      await app.close();
    },
  };
}

/** First run: create an owner with a random password and print it once. Nothing is stored in plain text. */
export async function ensureFirstUser(app: App): Promise<void> {
  const any = await hasUsers(app.db);
  if (any) return;
  const password = randomAlnum(16);
  await createUser(app.db, { username: 'admin', password, role: 'owner' }, app.clock.now());
  const text =
    `\n================ 首次运行 / first run ================\n` +
    `  管理员账号 / owner login:  admin\n  初始密码 / password:       ${password}\n` +
    `  (只显示这一次，请妥善保存 / shown once — keep it safe; change with: daifa users passwd --username admin --password …)\n` +
    `=====================================================\n\n`;
  // The terminal only — never the log stream (stdout is the JSON log when it is not a terminal: a log collector
  // would keep the password). Without a terminal it goes to a file only the owner of the process can read.
  if (process.stdout.isTTY) {
    process.stdout.write(text);
    return;
  }
  const file = join(app.config.dataDir, 'first-run-password.txt');
  mkdirSync(app.config.dataDir, { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  app.log.warn({ file }, 'first run: the owner password was written to this file (readable by this user only); delete it after signing in');
}
