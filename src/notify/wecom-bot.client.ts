import { DaifaError } from '../lib/errors.js';

/**
 * WeCom group robot (企业微信群机器人): POST {webhookUrl} with markdown. 20 messages per minute per robot;
 * 45009 = too frequent (retry after the minute), 93000 = invalid key (permanent: fix the configuration).
 */
export class WeComBotClient {
  constructor(
    private readonly webhookUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async sendMarkdown(content: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content: truncateBytes(content, 4096) } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `企业微信机器人无法连接: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
    if (res.status >= 500) throw new DaifaError('UPSTREAM_UNAVAILABLE', `企业微信机器人 HTTP ${res.status}`);
    if (body.errcode === 0) return;
    if (body.errcode === 45009)
      throw new DaifaError('UPSTREAM_UNAVAILABLE', '企业微信机器人发送过于频繁 (45009)', { retryAfterMs: 60_000 });
    // Only WeCom's code and the start of its message are kept (they are shown in the dashboard).
    throw new DaifaError(
      'UPSTREAM_UNAVAILABLE',
      `企业微信机器人错误 ${Number(body.errcode ?? res.status)}: ${String(body.errmsg ?? '').slice(0, 80)}`,
      { retryable: false },
    );
  }
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -1);
  return `${out}…`;
}
