import Fastify, { type FastifyInstance } from 'fastify';
import { startHttpThread } from '../src/lib/http-post.js';
import { WeChatShopSimulator, type ApiKnobs } from './wechat-shop/simulator.js';
import type { PushKnobs } from './wechat-shop/push-engine.js';
import { WeComBotTwin } from './wecom-bot.js';
import { SANDBOX_SMS, TencentSmsTwin } from './tencent-sms.js';
import { SmtpTwin } from './smtp.js';
import { Alibaba1688Simulator, type Knobs1688 } from './alibaba-1688/simulator.js';

export interface Sandbox {
  url: string;
  app: FastifyInstance;
  wechat: WeChatShopSimulator;
  wecom: WeComBotTwin;
  sms: TencentSmsTwin;
  smtp: SmtpTwin;
  alibaba: Alibaba1688Simulator;
  /** SMS configuration that the twin accepts, and the SMTP URL of the twin. */
  smsConfig: { endpoint: string } & typeof SANDBOX_SMS;
  smtpUrl: string;
  close(): Promise<void>;
}

/** One HTTP server on loopback hosting every simulator: WeChat Shop API, WeCom robot. */
export async function startSandbox(
  opts: {
    port?: number;
    smtpPort?: number;
    host?: string;
    push?: Partial<PushKnobs>;
    api?: Partial<ApiKnobs>;
    alibaba?: Partial<Knobs1688>;
  } = {},
): Promise<Sandbox> {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  startHttpThread(); // the simulators push to Daifa: the first push need not wait for the thread to boot
  const wechat = new WeChatShopSimulator({ push: opts.push, api: opts.api });
  const wecom = new WeComBotTwin();
  const sms = new TencentSmsTwin();
  const smtp = new SmtpTwin();
  const alibaba = new Alibaba1688Simulator(opts.alibaba);
  wechat.register(app);
  wecom.register(app);
  sms.register(app);
  alibaba.register(app);
  app.get('/sandbox/mail/messages', async () => ({ messages: smtp.messages.map(({ raw: _raw, ...m }) => m) }));
  const smtpPort = await smtp.start(opts.smtpPort ?? 0);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${host}:${port}`;
  alibaba.cashierBase = url;
  return {
    url,
    app,
    wechat,
    wecom,
    sms,
    smtp,
    alibaba,
    smsConfig: { endpoint: `${url}/tencent-sms/`, ...SANDBOX_SMS },
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    async close() {
      wechat.stop();
      alibaba.stop();
      await smtp.stop();
      await app.close();
    },
  };
}
