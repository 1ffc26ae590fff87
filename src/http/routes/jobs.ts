import { z } from 'zod';
import { positiveId } from './inputs.js';
import type { App } from '../../app.js';
import { DaifaError } from '../../lib/errors.js';
import type { FastifyInstance as Api } from 'fastify';
import type { Guards } from './guards.js';

/** Jobs: the queue for operators (list, retry one, retry the dead). */
export function jobRoutes(api: Api, app: App, { operator }: Guards): void {
  api.get('/api/jobs', async (req) => {
    const q = z
      .object({
        status: z.enum(['pending', 'running', 'done', 'dead']).optional(),
        kind: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      })
      .parse(req.query);
    return { jobs: await app.queue.list(q) };
  });
  api.post('/api/jobs/:id/retry', operator, async (req) => {
    const id = positiveId(req.params);
    const n = await app.queue.retryDead([id]);
    if (n === 0) throw new DaifaError('WRONG_STATE', `任务 ${id} 不是失败任务 / job ${id} is not dead`);
    return { retried: n };
  });
  api.post('/api/jobs/retry-dead', operator, async () => ({ retried: await app.queue.retryDead('all') }));
}
