import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPassword, newApiToken, hashToken, verifyPassword } from './passwords.js';
import { SecretBox } from './secrets.js';

describe('secrets at rest', () => {
  it('seals with AES-256-GCM; the sealed text does not contain the secret; tampering is detected', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 7));
    const sealed = box.seal('my-app-secret');
    expect(sealed).not.toContain('my-app-secret');
    expect(box.open(sealed)).toBe('my-app-secret');
    expect(box.seal('x')).not.toBe(box.seal('x'));
    const other = SecretBox.fromKey(Buffer.alloc(32, 8));
    expect(() => other.open(sealed)).toThrow(/wrong master key/);
  });

  it('generates a key file with mode 0600 when no master key is configured, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-key-'));
    const a = SecretBox.fromConfig({ dataDir: dir });
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const b = SecretBox.fromConfig({ dataDir: dir });
    expect(b.open(a.seal('s'))).toBe('s');
  });
});

describe('passwords and tokens', () => {
  it('hashes with scrypt and verifies', async () => {
    const h = await hashPassword('正确的密码');
    expect(h.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('正确的密码', h)).toBe(true);
    expect(await verifyPassword('wrong', h)).toBe(false);
  });

  it('API tokens are stored as hashes', () => {
    const { token, hash } = newApiToken();
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(token);
  });
});
