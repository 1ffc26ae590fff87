import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults: port 8080, SQLite in ./data, real WeChat API base', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toMatch(/^sqlite:.*data\/daifa\.sqlite$/);
    expect(c.wechatApiBase).toBe('https://api.weixin.qq.com');
    expect(c.sandbox).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every invalid variable together', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DAIFA_MASTER_KEY: 'short', DAIFA_SANDBOX: 'maybe' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'DAIFA_MASTER_KEY', 'DAIFA_SANDBOX']) expect(problems).toContain(name);
    }
  });

  it('parses booleans and numbers', () => {
    const c = loadConfig({ DAIFA_SANDBOX: 'off', PORT: '9000', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(c.sandbox).toBe(false);
    expect(c.port).toBe(9000);
    expect(c.databaseUrl).toContain('postgres://');
  });
});
