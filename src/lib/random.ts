import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function randomKey(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomDigits(length: number, firstDigits = ''): string {
  let out = firstDigits;
  while (out.length < length) out += String(randomInt(10));
  return out;
}
