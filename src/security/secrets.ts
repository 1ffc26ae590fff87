import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets at rest (shop app secrets, push tokens, EncodingAESKeys) are sealed with AES-256-GCM under a
 * master key: DAIFA_MASTER_KEY, else a key file generated once in the data directory with mode 0600.
 * Sealed form: "v1:" + base64(iv[12] || tag[16] || ciphertext).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(opts: { masterKey?: string; dataDir: string }): SecretBox {
    if (opts.masterKey) return new SecretBox(parseKey(opts.masterKey));
    const file = join(opts.dataDir, 'master.key');
    if (!existsSync(file)) {
      mkdirSync(opts.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) chmodSync(file, 0o600);
    return new SecretBox(parseKey(readFileSync(file, 'utf8').trim()));
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1:')) throw new Error('unknown secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    // A full 16-byte tag, always: setAuthTag accepts shorter ones, and a truncated tag is far easier to forge.
    if (raw.length < 12 + 16) throw new Error('secret cannot be opened: truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('secret cannot be opened: wrong master key (DAIFA_MASTER_KEY or data/master.key changed?)');
    }
  }
}

function parseKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('master key must be 32 bytes (base64 or 64 hex characters)');
  return key;
}
