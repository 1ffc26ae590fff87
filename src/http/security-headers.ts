import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { DaifaError } from '../lib/errors.js';

/**
 * Headers every answer carries (helmet: nosniff, frame-ancestors none, referrer policy …), a Content-Security-Policy
 * for the dashboard (scripts from this origin only; antd's CSS-in-JS needs inline styles), HSTS behind https, and
 * `Cache-Control: no-store` on every API answer (a decoded address or a money report must not sit in a cache).
 * Text with a NUL character is refused before any handler runs (PostgreSQL cannot store it; it is never legitimate).
 */
export async function registerSecurityHeaders(http: FastifyInstance, opts: { https: boolean }): Promise<void> {
  await http.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: opts.https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
  http.addHook('onSend', async (req, reply, payload) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
  http.addHook('preValidation', async (req) => {
    if (hasNul(req.body) || hasNul(req.query))
      throw new DaifaError('VALIDATION', '文本中不能包含 NUL 字符 / text must not contain NUL characters');
  });
}

function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 20 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return false;
  for (const x of Object.values(v as Record<string, unknown>)) if (hasNul(x, depth + 1)) return true;
  return false;
}
