import Fastify, { type FastifyInstance } from 'fastify';
import { WeChatShopSimulator, type ApiKnobs } from './wechat-shop/simulator.js';
import type { PushKnobs } from './wechat-shop/push-engine.js';
import { WeComBotTwin } from './wecom-bot.js';

export interface Sandbox {
  url: string;
  app: FastifyInstance;
  wechat: WeChatShopSimulator;
  wecom: WeComBotTwin;
  close(): Promise<void>;
}

/** One HTTP server on loopback hosting every simulator: WeChat Shop API, WeCom robot. */
export async function startSandbox(opts: { port?: number; host?: string; push?: Partial<PushKnobs>; api?: Partial<ApiKnobs> } = {}): Promise<Sandbox> {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  const wechat = new WeChatShopSimulator({ push: opts.push, api: opts.api });
  const wecom = new WeComBotTwin();
  wechat.register(app);
  wecom.register(app);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${host}:${port}`,
    app,
    wechat,
    wecom,
    async close() {
      wechat.stop();
      await app.close();
    },
  };
}
