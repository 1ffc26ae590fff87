import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLimits } from '../../src/payments/limits.js';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { runDaifa } from '../helpers/processes.js';

/** Acceptance: the approval queue from the command line, and the money reports. */
describe('daifa payments / money CLI', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 10_000_000, maxPerDay: 1_000_000_000, minMargin: -10_000_000, approvalAbove: 0 });
    env = { ...h.t.env, WECHAT_API_BASE: h.sandbox.url, ALIBABA_API_BASE: h.sandbox.url };
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 2, { what: 'approval queue' });
  });
  afterAll(async () => h.stop());

  it('lists the approval queue, approves one (it is paid) and rejects the other (a case)', async () => {
    const list = await runDaifa(['payments', 'list', '--status', 'AwaitingApproval', '--json'], env);
    const rows = JSON.parse(list.out) as { id: number }[];
    expect(rows).toHaveLength(2);
    const [a, b] = rows.map((r) => r.id).sort((x, y) => x - y);
    expect((await runDaifa(['payments', 'approve', String(a), '--actor', 'boss'], env)).out).toContain('Paying');
    const rejected = await runDaifa(['payments', 'reject', String(b)], env);
    expect(rejected.code).not.toBe(0);
    expect(rejected.out).toContain('--note');
    expect((await runDaifa(['payments', 'reject', String(b), '--note', '价格太高', '--actor', 'boss'], env)).out).toContain('Rejected');
    await waitFor(async () => (await count(h.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'approved payment paid' });
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('approved_by').where('id', '=', a!).executeTakeFirstOrThrow()).approved_by,
    ).toBe('cli:boss');
    expect(await count(h.app, 'cases', ['kind', '=', 'PAYMENT_BLOCKED'])).toBe(1);

    const daily = await runDaifa(['money', 'daily'], env);
    expect(daily.out).toMatch(/利润/);
    const out = join(mkdtempSync(join(tmpdir(), 'daifa-rec-')), 'report.xlsx');
    const rec = await runDaifa(['money', 'reconcile', '--out', out], env);
    expect(rec.out).toContain('无未解释差异');
    expect(rec.code).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(out) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '差异']);
  });
});
