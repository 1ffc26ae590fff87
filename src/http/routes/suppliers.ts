import { z } from 'zod';
import { positiveId } from './inputs.js';
import type { App } from '../../app.js';
import { WECHAT_COURIERS } from '../../fulfilment/couriers.js';
import { addOffer, addSupplier, listSuppliers } from '../../sourcing/catalogue-admin.js';
import type { FastifyInstance as Api } from 'fastify';
import type { Guards } from './guards.js';

/** Suppliers: 1688 accounts (OAuth), suppliers and their offers, couriers. */
export function supplierRoutes(api: Api, app: App, { operator, owner }: Guards): void {
  // 1688 OAuth: the URL to send the merchant to, and the callback exchange (code valid 2 minutes).
  api.get('/api/alibaba/authorize-url', owner, async (req) => {
    const q = z.object({ appKey: z.string().min(1), redirectUri: z.string().url(), state: z.string().max(64).optional() }).parse(req.query);
    return {
      url: `https://auth.1688.com/oauth/authorize?client_id=${encodeURIComponent(q.appKey)}&site=1688&redirect_uri=${encodeURIComponent(q.redirectUri)}&state=${encodeURIComponent(q.state ?? '')}`,
    };
  });
  api.post('/api/alibaba/connect', owner, async (req) => {
    const b = z
      .object({ appKey: z.string().min(1), appSecret: z.string().min(1), code: z.string().min(1), redirectUri: z.string().url() })
      .parse(req.body);
    return { accountId: await app.alibaba.connect(b) };
  });
  api.get('/api/alibaba/accounts', async () => ({
    accounts: await app.alibaba.list(),
  }));
  api.get('/api/suppliers', async () => ({ suppliers: await listSuppliers(app.db) }));
  api.post('/api/suppliers', owner, async (req) => ({ id: await addSupplier(app.db, req.body, app.clock.now()) }));
  api.post('/api/suppliers/:id/offers', operator, async (req) => {
    const id = positiveId(req.params);
    return { id: await addOffer(app.db, id, req.body, app.clock.now()) };
  });
  api.get('/api/couriers', async () => ({
    couriers: Object.entries(WECHAT_COURIERS)
      .filter(([id]) => id !== 'OTHER')
      .map(([deliveryId, name]) => ({ deliveryId, name })),
  }));
}
