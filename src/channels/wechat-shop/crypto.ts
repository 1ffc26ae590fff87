import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeChat message-push security (reference §8): SHA-1 signatures over sorted strings and
 * AES-256-CBC with IV = key[0..16) and PKCS#7 padding at block size 32 (not AES's 16).
 */

export function sha1Signature(parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** GET URL verification and the plain `signature` query parameter: sha1(sort(token, timestamp, nonce)). */
export function urlSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Signature([token, timestamp, nonce]);
}

/** Body signature that covers the ciphertext: sha1(sort(token, timestamp, nonce, Encrypt)). */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1Signature([token, timestamp, nonce, encrypt]);
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

export function aesKeyFromEncodingAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new Error('EncodingAESKey must be 43 characters of base64 (A–Z, a–z, 0–9, +, /)');
  }
  const key = Buffer.from(encodingAesKey + '=', 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey does not decode to 32 bytes');
  return key;
}

export class PushDecryptError extends Error {}

export interface DecryptedMessage {
  message: string;
  appId: string;
  random: Buffer;
}

export function decryptMessage(aesKey: Buffer, encrypt: string): DecryptedMessage {
  const cipherText = Buffer.from(encrypt, 'base64');
  if (cipherText.length === 0 || cipherText.length % 32 !== 0) {
    throw new PushDecryptError('ciphertext length is not a multiple of 32 bytes');
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch (err) {
    throw new PushDecryptError(`AES decryption failed: ${(err as Error).message}`);
  }
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > 32 || pad > plain.length) throw new PushDecryptError('invalid PKCS#7 padding');
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw new PushDecryptError('invalid PKCS#7 padding');
  }
  const full = plain.subarray(0, plain.length - pad);
  if (full.length < 20) throw new PushDecryptError('decrypted payload too short');
  const msgLen = full.readUInt32BE(16);
  if (20 + msgLen > full.length) throw new PushDecryptError('message length exceeds payload');
  return {
    random: full.subarray(0, 16),
    message: full.subarray(20, 20 + msgLen).toString('utf8'),
    appId: full.subarray(20 + msgLen).toString('utf8'),
  };
}

export function encryptMessage(aesKey: Buffer, message: string, appId: string, random: Buffer = randomAlnumBytes(16)): string {
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const full = Buffer.concat([random, len, msg, Buffer.from(appId, 'utf8')]);
  const pad = 32 - (full.length % 32);
  const padded = Buffer.concat([full, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

function randomAlnumBytes(n: number): Buffer {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  return Buffer.from(Array.from(bytes, (b) => chars.charCodeAt(b % chars.length)));
}
