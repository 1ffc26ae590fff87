import http from 'node:http';
import https from 'node:https';

/**
 * POST a body and read the whole answer as text, over kept-alive connections. The API clients (WeChat Shop,
 * 1688) make a dozen calls per order; `fetch` spends several times the CPU of a plain node:http request on
 * streams, abort signals and Request objects (bench/pipeline), so they use this instead.
 *
 * Rejects on connection errors and on the timeout (the request may have reached the server: callers decide
 * what an unknown outcome means for their call).
 */
export interface PostResult {
  status: number;
  text: string;
}

const agentOptions = { keepAlive: true, maxSockets: 128, maxFreeSockets: 64, scheduling: 'lifo' as const };
const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

export function postText(url: string, opts: { headers: Record<string, string>; body: string; timeoutMs: number }): Promise<PostResult> {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!mod) return Promise.reject(new Error(`unsupported URL scheme ${target.protocol}`));
  const body = Buffer.from(opts.body, 'utf8');
  return new Promise<PostResult>((resolve, reject) => {
    const req = mod.request(
      target,
      { method: 'POST', agent: agents[target.protocol as 'http:' | 'https:'], headers: { ...opts.headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}
