import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALIBABA_MESSAGE_SAMPLES, ALIBABA_SAMPLES, WECHAT_PUSH_SAMPLES, WECHAT_SAMPLES } from './samples.js';
import { ALIBABA_SCHEMAS, WECHAT_PUSH_SCHEMAS, WECHAT_SCHEMAS } from './schemas.js';

const root = join(import.meta.dirname, '..', '..');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? sources(join(dir, f)) : f.endsWith('.ts') && !f.endsWith('.test.ts') ? [join(dir, f)] : [],
  );
const code = sources(join(root, 'src'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');
const platforms = readFileSync(join(root, 'docs', 'PLATFORMS.md'), 'utf8');

/** Read from the clients' code itself: a new endpoint is covered, or this fails. */
// Whitespace between the arguments is free: the formatter puts a long call's arguments on lines of their own.
const wechatEndpoints = [...new Set([...code.matchAll(/this\.(?:call|http)\(\s*'(\/(?:channels|cgi-bin)\/[a-z_/]+)'/g)].map((m) => m[1]!))];
const alibabaApis = [
  ...new Set([...code.matchAll(/this\.call\(\s*'[a-zA-Z0-9.]+',\s*'([a-zA-Z0-9._]+)'/g)].map((m) => m[1]!)),
  ...(code.includes('system.oauth2/getToken') ? ['system.oauth2/getToken'] : []),
];
/** Push events and message topics the code branches on. */
const wechatEvents = Object.keys(WECHAT_PUSH_SAMPLES);
const alibabaTopics = Object.keys(ALIBABA_MESSAGE_SAMPLES);

describe('contract coverage', () => {
  it('finds the endpoints in the code (the extraction itself works)', () => {
    expect(wechatEndpoints).toContain('/channels/ec/order/get');
    expect(wechatEndpoints).toContain('/cgi-bin/stable_token');
    expect(alibabaApis).toContain('alibaba.trade.fastCreateOrder');
    expect(alibabaApis).toContain('system.oauth2/getToken');
  });

  it('every WeChat Shop endpoint the client calls has an official (or field-built) sample, a schema and a row in docs/PLATFORMS.md', () => {
    for (const e of wechatEndpoints) {
      expect(WECHAT_SAMPLES[e], `sample for ${e}`).toBeDefined();
      expect(WECHAT_SCHEMAS[e], `schema for ${e}`).toBeDefined();
      expect(platforms, `docs/PLATFORMS.md row for ${e}`).toContain(`\`${e}\``);
    }
    expect(Object.keys(WECHAT_SAMPLES).sort()).toEqual([...wechatEndpoints].sort());
  });

  it('every 1688 API the client calls has a sample, a schema and a row in docs/PLATFORMS.md', () => {
    for (const a of alibabaApis) {
      expect(ALIBABA_SAMPLES[a], `sample for ${a}`).toBeDefined();
      expect(ALIBABA_SCHEMAS[a], `schema for ${a}`).toBeDefined();
      expect(platforms, `docs/PLATFORMS.md row for ${a}`).toContain(`\`${a}\``);
    }
    expect(Object.keys(ALIBABA_SAMPLES).sort()).toEqual([...alibabaApis].sort());
  });

  it('every push event and message topic with a sample is documented, and the code reads them', () => {
    for (const e of wechatEvents) {
      expect(WECHAT_PUSH_SCHEMAS[e]).toBeDefined();
      expect(platforms).toContain(`\`${e}\``);
    }
    for (const t of alibabaTopics) expect(platforms).toContain(t.startsWith('ORDER_BUYER_VIEW') ? 'ORDER_BUYER_VIEW_' : `\`${t}\``);
    expect(code).toContain('channels_ec_order_deliver');
    expect(code).toMatch(/OrderLogisticsTracingModel/);
    expect(code).toMatch(/MailNoChangeModel/);
  });
});
