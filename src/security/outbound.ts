import { isIP } from 'node:net';
import { DaifaError } from '../lib/errors.js';

/**
 * Where Daifa may send requests a person configured (the WeCom group robot of alert settings, the SMTP server):
 * https to an allowed host — WeCom's by default, more by DAIFA_OUTBOUND_HOSTS — never a loopback, private or
 * link-local address (the server would otherwise post alerts to, and show answers from, services inside the
 * network), unless DAIFA_ALLOW_PRIVATE_OUTBOUND=1 (the sandbox's own robot is on loopback).
 */
export interface OutboundPolicy {
  hosts: readonly string[];
  allowPrivate: boolean;
}

export const DEFAULT_OUTBOUND_HOSTS = ['qyapi.weixin.qq.com'];

export function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (v === 6)
    return h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
}

/** The URL if it may be used; else a clear error naming what is wrong. */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy, field = 'url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(field, '不是有效的网址 / not a valid URL');
  }
  const host = url.hostname.toLowerCase();
  const privateHost = isPrivateHost(host);
  if (privateHost && !policy.allowPrivate)
    throw refuse(field, `不允许发往内网或本机地址 ${host} / private and loopback addresses are not allowed`);
  if (url.protocol !== 'https:' && !(privateHost && policy.allowPrivate && url.protocol === 'http:'))
    throw refuse(field, '只允许 https 地址 / only https is allowed');
  if (url.username || url.password) throw refuse(field, '网址里不能带用户名密码 / no credentials in the URL');
  const allowed = privateHost || policy.hosts.some((h) => host === h.toLowerCase() || host.endsWith(`.${h.toLowerCase()}`));
  if (!allowed)
    throw refuse(field, `主机 ${host} 不在允许列表（${policy.hosts.join(', ')}；可用 DAIFA_OUTBOUND_HOSTS 添加）/ host not allowed`);
  return url;
}

const refuse = (field: string, message: string) =>
  new DaifaError('VALIDATION', message, { retryable: false, details: [{ field, message }] });
