import type { FastifyInstance } from 'fastify';

/**
 * Twin of the WeCom group robot (企业微信群机器人): POST /cgi-bin/webhook/send?key=KEY with text or
 * markdown; at most 20 messages per minute per robot (45009 beyond); 93000 for an unknown key.
 * It verifies what it receives and keeps it, so tests and the demo can see the alerts arrive.
 */
export interface BotMessage {
  key: string;
  msgtype: string;
  content: string;
  at: number;
}

export class WeComBotTwin {
  readonly messages: BotMessage[] = [];
  readonly keys = new Set<string>();
  /** Accept any key (demo) or only registered ones. */
  acceptAnyKey = true;
  perMinuteLimit = 20;
  private sent = new Map<string, number[]>();
  readonly rejected = { rateLimited: 0, invalidKey: 0, invalidBody: 0 };

  register(app: FastifyInstance): void {
    app.post('/cgi-bin/webhook/send', async (req) => {
      const key = (req.query as Record<string, string>).key ?? '';
      if (!key || (!this.acceptAnyKey && !this.keys.has(key))) {
        this.rejected.invalidKey++;
        return { errcode: 93000, errmsg: 'invalid webhook url' };
      }
      const body = (req.body ?? {}) as Record<string, any>;
      const msgtype = String(body.msgtype ?? '');
      const content = msgtype === 'text' ? body.text?.content : msgtype === 'markdown' ? body.markdown?.content : undefined;
      if (typeof content !== 'string' || !content) {
        this.rejected.invalidBody++;
        return { errcode: 40008, errmsg: 'invalid message type' };
      }
      if (Buffer.byteLength(content) > (msgtype === 'text' ? 2048 : 4096)) {
        this.rejected.invalidBody++;
        return { errcode: 40058, errmsg: 'content exceed max length' };
      }
      const now = Date.now();
      const recent = (this.sent.get(key) ?? []).filter((t) => now - t < 60_000);
      if (recent.length >= this.perMinuteLimit) {
        this.rejected.rateLimited++;
        return { errcode: 45009, errmsg: 'api freq out of limit' };
      }
      recent.push(now);
      this.sent.set(key, recent);
      this.messages.push({ key, msgtype, content, at: now });
      return { errcode: 0, errmsg: 'ok' };
    });
    app.get('/sandbox/wecom/messages', async (req) => {
      const key = (req.query as Record<string, string>).key;
      return { messages: key ? this.messages.filter((m) => m.key === key) : this.messages, rejected: this.rejected };
    });
  }
}
