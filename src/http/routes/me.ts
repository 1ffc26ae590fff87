import { z } from 'zod';
import { positiveId } from './inputs.js';
import type { App } from '../../app.js';
import { DaifaError } from '../../lib/errors.js';
import { listTokens, login, revokeTokens, setPassword } from '../../security/accounts.js';
import type { FastifyInstance as Api } from 'fastify';
import type { Guards } from './guards.js';

/** One's own account: who I am, my password, my API tokens. */
export function meRoutes(api: Api, app: App, _guards: Guards): void {
  api.get('/api/me', async (req) => req.principal);
  // Change one's own password: the current one is checked first.
  api.post('/api/me/password', async (req) => {
    const b = z.object({ currentPassword: z.string().min(1), newPassword: z.string().max(200) }).parse(req.body);
    // A wrong current password is a field error (not 401: the session itself is fine).
    await login(app.db, req.principal!.username, b.currentPassword).catch(() => {
      throw new DaifaError('VALIDATION', '当前密码不正确 / the current password is wrong', {
        details: [{ field: 'currentPassword', message: 'wrong password' }],
      });
    });
    await setPassword(app.db, req.principal!.username, b.newPassword);
    return { ok: true };
  });
  // One's own API tokens: which exist (never the secret), and revoking one (a script retired, a token leaked).
  api.get('/api/me/tokens', async (req) => ({ tokens: await listTokens(app.db, req.principal!.userId, req.headers.authorization) }));
  api.delete('/api/me/tokens/:id', async (req) => ({
    revoked: await revokeTokens(app.db, req.principal!.userId, positiveId(req.params)),
  }));
}
