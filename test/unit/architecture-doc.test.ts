import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CASE_KINDS } from '../../src/cases/cases.js';
import type { Lifecycle } from '../../src/domain/lifecycle.js';
import { paymentLifecycle } from '../../src/domain/payment.lifecycle.js';
import { deliveryLifecycle, negotiationLifecycle } from '../../src/domain/fulfilment.lifecycle.js';
import { PAY_METHOD_TRAITS, ROUTE_TRAITS } from '../../src/domain/purchase-routes.js';
import { caseLifecycle, purchaseOrderLifecycle } from '../../src/domain/purchase-order.lifecycle.js';
import { shopOrderLifecycle } from '../../src/domain/shop-order.lifecycle.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../src/jobs/queue.js';
import { JOBS, JOB_KINDS } from '../../src/jobs/catalogue.js';
import { ORDER_LOOP } from '../../src/loop/order-loop.js';

/**
 * docs/ARCHITECTURE.md's tables are the code's, checked like docs/API.md: the layers, the order loop, the job kinds,
 * the lifecycles, the case kinds and the purchase routes. After changing one of them in the code, regenerate the
 * blocks with `DAIFA_UPDATE_DOCS=1 npx vitest run test/unit/architecture-doc.test.ts` and read the diff.
 */
const DOC = new URL('../../docs/ARCHITECTURE.md', import.meta.url);
const { LAYERS } = createRequire(import.meta.url)('../../scripts/layers.cjs') as { LAYERS: string[][] };

const table = (head: string[], rows: (string | number)[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
const code = (xs: readonly string[]) => (xs.length ? xs.map((x) => `\`${x}\``).join(', ') : '—');

function lifecycleTable(lc: Lifecycle<string>): string {
  return table(
    ['state', 'may go to', ''],
    Object.entries(lc.transitions).map(([s, { to }]) => [
      `\`${s}\``,
      code(to),
      [lc.initial.includes(s) ? 'initial' : '', lc.terminal.includes(s) ? 'terminal' : ''].filter(Boolean).join(', '),
    ]),
  );
}

const blocks: Record<string, () => string> = {
  layers: () =>
    table(
      ['layer', 'folders of src/ (a folder imports only lower layers)'],
      LAYERS.map((l, i) => [i, code(l.map((f) => (f === 'app' ? 'app.ts' : `${f}/`)))]),
    ),
  loop: () =>
    table(
      ['step', 'job', 'runs in the same job', 'undone by', 'when'],
      ORDER_LOOP.map((s) => [
        s.step,
        `\`${s.job}\``,
        s.chainsTo ? `\`${s.chainsTo}\`` : '',
        s.compensation ? `\`${s.compensation}\`` : '',
        s.when,
      ]),
    ),
  jobs: () =>
    table(
      ['kind', 'what it does', 'attempts'],
      JOB_KINDS.map((k) => [`\`${k}\``, JOBS[k].what, (JOBS[k] as { maxAttempts?: number }).maxAttempts ?? DEFAULT_MAX_ATTEMPTS]),
    ),
  'lifecycle-shop-order': () => lifecycleTable(shopOrderLifecycle as Lifecycle<string>),
  'lifecycle-purchase-order': () => lifecycleTable(purchaseOrderLifecycle as Lifecycle<string>),
  'lifecycle-payment': () => lifecycleTable(paymentLifecycle as Lifecycle<string>),
  'lifecycle-case': () => lifecycleTable(caseLifecycle as Lifecycle<string>),
  'lifecycle-negotiation': () => lifecycleTable(negotiationLifecycle as Lifecycle<string>),
  'lifecycle-delivery': () => lifecycleTable(deliveryLifecycle as Lifecycle<string>),
  cases: () =>
    table(
      ['kind', 'what a person sees', 'actions'],
      Object.entries(CASE_KINDS).map(([k, v]) => [`\`${k}\``, v.title, code(v.actions)]),
    ),
  routes: () =>
    table(
      ['route', 'answers over an API', 'paid by', 'parcels from', 'new address by', '催发货 / 联系'],
      Object.entries(ROUTE_TRAITS).map(([r, t]) => [
        `\`${r}\` (${t.label})`,
        t.supplierApi ? 'yes' : 'no',
        [...new Set([t.payMethod('protocol'), t.payMethod('link')])].map((m) => `\`${m}\``).join(' or '),
        t.parcels,
        t.addressChange,
        t.reach,
      ]),
    ),
  'pay-methods': () =>
    table(
      ['method', 'first status', 'paid known by', 'Daifa makes the call'],
      Object.entries(PAY_METHOD_TRAITS).map(([m, t]) => [`\`${m}\``, `\`${t.firstStatus}\``, t.confirmedBy, t.daifaPays ? 'yes' : 'no']),
    ),
};

describe('docs/ARCHITECTURE.md', () => {
  it('shows the layers, the loop, the job kinds, the lifecycles, the case kinds and the routes as the code has them', () => {
    let doc = readFileSync(DOC, 'utf8');
    const stale: string[] = [];
    for (const [name, make] of Object.entries(blocks)) {
      const re = new RegExp(`(<!-- begin:${name} -->\\n)([\\s\\S]*?)(\\n<!-- end:${name} -->)`);
      const m = re.exec(doc);
      if (!m) {
        stale.push(`${name}: no <!-- begin:${name} --> … <!-- end:${name} --> block`);
        continue;
      }
      const want = make();
      if (m[2] !== want) {
        stale.push(name);
        doc = doc.replace(re, (_all, a: string, _b: string, c: string) => `${a}${want}${c}`);
      }
    }
    if (process.env.DAIFA_UPDATE_DOCS && stale.length) writeFileSync(DOC, doc);
    expect(stale, 'regenerate with DAIFA_UPDATE_DOCS=1 npx vitest run test/unit/architecture-doc.test.ts').toEqual([]);
  });
});
