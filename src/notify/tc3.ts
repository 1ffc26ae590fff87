import { createHash, createHmac } from 'node:crypto';

/**
 * Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256: canonical request → string to sign → key derived
 * from the SecretKey through date, service and "tc3_request" → hex signature → Authorization header.
 */
export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  contentType: string;
  payload: string;
  /** Unix seconds (X-TC-Timestamp). */
  timestamp: number;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, msg: string) => createHmac('sha256', key).update(msg, 'utf8').digest();

export function tc3Sign(i: Tc3Input): { authorization: string; signature: string; canonicalRequestHash: string; date: string } {
  // The credential date is the UTC date of the timestamp (not local time — calls fail around midnight otherwise).
  const date = new Date(i.timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = [
    'POST',
    '/',
    '',
    `content-type:${i.contentType}\nhost:${i.host}\n`,
    'content-type;host',
    sha256(i.payload),
  ].join('\n');
  const canonicalRequestHash = sha256(canonicalRequest);
  const scope = `${date}/${i.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(i.timestamp), scope, canonicalRequestHash].join('\n');
  const signing = hmac(hmac(hmac(`TC3${i.secretKey}`, date), i.service), 'tc3_request');
  const signature = createHmac('sha256', signing).update(stringToSign, 'utf8').digest('hex');
  return {
    authorization: `TC3-HMAC-SHA256 Credential=${i.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
    signature,
    canonicalRequestHash,
    date,
  };
}
