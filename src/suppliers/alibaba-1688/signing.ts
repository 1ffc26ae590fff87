import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * 1688 `_aop_signature` (reference §1.3): urlPath ("param2/1/{namespace}/{api}/{appKey}", no "/openapi/")
 * followed by every parameter's key+value, the concatenated strings sorted by code unit (not locale),
 * HMAC-SHA1 with the app secret, upper-case hex.
 */
export function aopSignature(urlPath: string, params: Record<string, string>, appSecret: string): string {
  const pieces = Object.entries(params)
    .filter(([k, v]) => k !== '_aop_signature' && v !== undefined && v !== null)
    .map(([k, v]) => k + v)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHmac('sha1', appSecret).update(urlPath + pieces.join(''), 'utf8').digest('hex').toUpperCase();
}

/** Message-push signature: the parameter rule over the posted `message` only (reference §7.1, [I, strong]). */
export function messageSignature(message: string, appSecret: string): string {
  return createHmac('sha1', appSecret).update(`message${message}`, 'utf8').digest('hex').toUpperCase();
}

export function signatureMatches(a: string, b: string): boolean {
  const x = Buffer.from(a.toUpperCase());
  const y = Buffer.from(b.toUpperCase());
  return x.length === y.length && timingSafeEqual(x, y);
}
