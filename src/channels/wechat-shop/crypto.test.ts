import { describe, expect, it } from 'vitest';
import { aesKeyFromEncodingAesKey, decryptMessage, encryptMessage, msgSignature, PushDecryptError, urlSignature } from './crypto.js';

// Official vectors from reference/wechat-shop-api.md §8.2 and §8.6.
const VECTOR_A = {
  token: 'AAAAA',
  encodingAesKey: 'A'.repeat(43),
  appId: 'wxba5fad812f8e6fb9',
  timestamp: '1714112445',
  nonce: '415670741',
  encrypt:
    '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=',
};

describe('WeChat push crypto — official vectors', () => {
  it('§8.2 URL verification signature', () => {
    expect(urlSignature('AAAAA', '1714036504', '1514711492')).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
  });

  it('§8.6 A: msg_signature, plain signature and decryption', () => {
    const a = VECTOR_A;
    expect(msgSignature(a.token, a.timestamp, a.nonce, a.encrypt)).toBe('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
    expect(urlSignature(a.token, a.timestamp, a.nonce)).toBe('6c5c811b55cc85e0e1b54100749188c20beb3f5d');
    const out = decryptMessage(aesKeyFromEncodingAesKey(a.encodingAesKey), a.encrypt);
    expect(out.random.toString('utf8')).toBe('a8eedb185eb2fecf');
    expect(out.appId).toBe('wxba5fad812f8e6fb9');
    expect(Buffer.byteLength(out.message)).toBe(167);
    expect(out.message).toBe(
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
    );
  });

  it('§8.6 B: encrypting with a known random reproduces the official ciphertext and signature', () => {
    const key = aesKeyFromEncodingAesKey('A'.repeat(43));
    const encrypt = encryptMessage(key, '{"demo_resp":"good luck"}', 'wxba5fad812f8e6fb9', Buffer.from('707722b803182950'));
    expect(encrypt).toBe('ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
    expect(msgSignature('AAAAA', '1713424427', '415670741', encrypt)).toBe('1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
  });

  it('§8.6 C: plain-mode POST signature', () => {
    expect(urlSignature('AAAAA', '1714037059', '486452656')).toBe('899cf89e464efb63f54ddac96b0a0a235f53aa78');
  });

  it('§8.6 D: SDK XML vector with padding byte 30 (> 16) round-trips exactly', () => {
    const encrypt =
      'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
    expect(msgSignature('QDG6eK', '1409659813', '1372623149', encrypt)).toBe('477715d11cdb4164915debcba66cb864d751f3e6');
    const key = aesKeyFromEncodingAesKey('jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C');
    const out = decryptMessage(key, encrypt);
    expect(out.appId).toBe('wx5823bf96d3bd56c7');
    expect(Buffer.byteLength(out.message)).toBe(284);
    expect(out.message.startsWith('<xml>')).toBe(true);
    const raw = Buffer.from(encrypt, 'base64');
    expect(raw.length % 32).toBe(0);
    expect(encryptMessage(key, out.message, out.appId, out.random)).toBe(encrypt);
  });

  it('rejects tampered ciphertext and bad keys', () => {
    const key = aesKeyFromEncodingAesKey('A'.repeat(43));
    const bytes = Buffer.from(VECTOR_A.encrypt, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x55;
    expect(() => decryptMessage(key, bytes.toString('base64'))).toThrow(PushDecryptError);
    expect(() => decryptMessage(key, 'abc')).toThrow(PushDecryptError);
    expect(() => aesKeyFromEncodingAesKey('short')).toThrow(/43 characters/);
  });
});
