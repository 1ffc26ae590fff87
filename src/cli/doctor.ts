import { createApp } from '../app.js';
import { ping } from '../db/dialect.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { deepCheck } from './doctor-deep.js';

/** Checks an operator runs first when something looks wrong. Prints ✓/✗ lines; exit 1 if any check fails. */
export async function runDoctor(config: Readonly<Config>, opts: { shopId?: number; deep?: boolean } = {}): Promise<number> {
  const lines: string[] = [];
  let failed = false;
  const ok = (s: string) => lines.push(`✓ ${s}`);
  const bad = (s: string) => {
    failed = true;
    lines.push(`✗ ${s}`);
  };
  const sandboxBase = config.sandbox ? `http://127.0.0.1:${config.sandboxPort}` : undefined;
  const app = await createApp(config, { wechatApiBase: sandboxBase });
  try {
    await ping(app.db);
    ok(`数据库 / database: ${app.db.dialect} reachable, migrations applied`);
    const shops = await app.shops.list();
    if (shops.length === 0) lines.push('• 尚未添加店铺 / no shop configured (sandbox mode will be on): daifa shops add …');
    for (const s of shops) {
      if (s.isSandbox && !sandboxBase) {
        // Its credentials exist only in the sandbox's simulated WeChat Shop: asking the real API would fail by design.
        lines.push(
          `• 店铺 #${s.id} ${s.name}: 沙箱店铺，只在沙箱里检查 (DAIFA_SANDBOX=1 daifa doctor，沙箱运行时) / sandbox shop: checked against the running sandbox only`,
        );
        continue;
      }
      try {
        const client = await app.clients.forShop(app.shops, s.id);
        await client.accessToken();
        ok(`店铺 #${s.id} ${s.name}: access token OK (${app.wechatApiBase})`);
      } catch (err) {
        bad(`店铺 #${s.id} ${s.name}: token fetch failed — ${(err as Error).message}`);
      }
      if (!s.isSandbox) {
        if (config.publicUrl) ok(`店铺 #${s.id} 推送地址 / push URL: ${config.publicUrl}${s.webhookPath} (安全模式, JSON)`);
        else
          bad(
            `店铺 #${s.id}: PUBLIC_URL is not set — WeChat cannot reach ${s.webhookPath}; polling still runs every ${config.pollIntervalSeconds}s`,
          );
      }
    }
    try {
      const res = await fetch(app.wechatApiBase + '/cgi-bin/stable_token', {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(5000),
      });
      const date = res.headers.get('date');
      if (date) {
        const skew = Math.abs(Date.parse(date) - Date.now());
        if (skew > 60_000) bad(`时钟 / clock: ${Math.round(skew / 1000)}s off the WeChat API server`);
        else ok(`时钟 / clock: within ${Math.round(skew / 1000)}s of the WeChat API server`);
      } else ok('时钟 / clock: server sent no Date header; local time ' + new Date().toISOString());
    } catch (err) {
      bad(`时钟 / clock: cannot reach ${app.wechatApiBase} — ${(err as Error).message}`);
    }
    if (opts.deep) {
      const shops = await app.shops.list();
      const target = shops.find((s) => s.id === opts.shopId);
      if (!target) bad(`--deep: 店铺 #${opts.shopId ?? '?'} 不存在 / no such shop (daifa shops list)`);
      else if (!(await deepCheck(app, target.id, (l) => lines.push(l)))) failed = true;
    }
    for (const w of unsafeSettings(config)) bad(w);
    const dead = await app.queue.countsByStatus();
    if (dead.dead) bad(`失败任务 / dead jobs: ${dead.dead} — see: daifa jobs list --status dead`);
    else ok('失败任务 / dead jobs: none');
  } finally {
    await app.close();
  }
  process.stdout.write(lines.join('\n') + '\n');
  return failed ? 1 : 0;
}

/** Settings that would make an install on the internet unsafe (each a ✗ with what to do). */
export function unsafeSettings(config: Readonly<Config>): string[] {
  const out: string[] = [];
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.host);
  if (!loopback && !(config.publicUrl ?? '').startsWith('https://'))
    out.push(
      `安全 / security: HOST=${config.host} 直接对外监听且 PUBLIC_URL 不是 https — 请放在带 TLS 的反向代理后面（见 README）/ listening publicly without https`,
    );
  if (config.outbound.allowPrivate && config.sandbox !== true)
    out.push(
      '安全 / security: DAIFA_ALLOW_PRIVATE_OUTBOUND=1 — 提醒机器人可以指向内网地址，正式环境请关闭 / alert robots may point into the private network',
    );
  if (!config.masterKey) {
    const keyFile = join(config.dataDir, 'master.key');
    if (existsSync(keyFile) && statSync(keyFile).mode & 0o077)
      out.push(`安全 / security: ${keyFile} 权限过宽，应为 0600 / master key file readable by others`);
  }
  if (config.databaseUrl.startsWith('sqlite:')) {
    const file = config.databaseUrl.slice('sqlite:'.length);
    if (existsSync(file) && statSync(file).mode & 0o077)
      out.push(`安全 / security: ${file} 权限过宽，应为 0600（Daifa 启动时会修正）/ database readable by others`);
  }
  if (existsSync(join(config.dataDir, 'first-run-password.txt')))
    out.push(
      `安全 / security: ${join(config.dataDir, 'first-run-password.txt')} 仍在 — 登录并修改密码后请删除 / delete the first-run password file`,
    );
  return out;
}
