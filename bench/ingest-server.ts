import Fastify from 'fastify';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { withId } from '../src/db/dialect.js';
import { buildHttp } from '../src/http/server.js';

/**
 * The process under measurement: Daifa's push receiver, and beside it a bare Fastify endpoint that only
 * inserts the raw body into the same database (the floor any receiver stands on).
 */
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', DAIFA_SANDBOX: '0' });
const app = await createApp(config, { log: pino({ level: 'silent' }), migrate: false });
const k = app.db.kysely as any;
await withId(k.schema.createTable('bench_raw').ifNotExists(), app.db.dialect)
  .addColumn('body', 'text', (c: any) => c.notNull())
  .addColumn('received_at', 'bigint', (c: any) => c.notNull())
  .execute();

const daifa = await buildHttp(app);
await daifa.listen({ port: 0, host: '127.0.0.1' });

const bare = Fastify({ logger: false });
bare.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
bare.post('/bare', async (req) => {
  await k
    .insertInto('bench_raw')
    .values({ body: String(req.body), received_at: Date.now() })
    .execute();
  return 'success';
});
await bare.listen({ port: 0, host: '127.0.0.1' });

const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
process.stdout.write(`ready ${port(daifa.server)} ${port(bare.server)}\n`);
process.on('SIGTERM', async () => {
  await daifa.close();
  await bare.close();
  await app.close();
  process.exit(0);
});
