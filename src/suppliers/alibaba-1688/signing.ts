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
  return createHmac('sha1', appSecret)
    .update(urlPath + pieces.join(''), 'utf8')
    .digest('hex')
    .toUpperCase();
}

/**
 * Message-push signature: the "parameter signature" rule over **every** query and body parameter of the push except
 * `_aop_signature` — sorted `key+value` strings, HMAC-SHA1 with the app secret, upper-case hex. Equal to signing
 * `"message"+json` only while nothing else is on the request; a callback URL with a query string adds its
 * parameters (port of the official `tuna` SDK's SignatureUtil, reference 1688 §10, §7.1).
 */
export function pushSignature(params: Iterable<[string, string]>, appSecret: string): string {
  const pieces: string[] = [];
  for (const [k, v] of params) if (k !== '_aop_signature') pieces.push(k + v);
  pieces.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHmac('sha1', appSecret).update(pieces.join(''), 'utf8').digest('hex').toUpperCase();
}

/** The push signature of a request that carries `message` alone (the common case). */
export function messageSignature(message: string, appSecret: string): string {
  return pushSignature([['message', message]], appSecret);
}

export function signatureMatches(a: string, b: string): boolean {
  const x = Buffer.from(a.toUpperCase());
  const y = Buffer.from(b.toUpperCase());
  return x.length === y.length && timingSafeEqual(x, y);
}
