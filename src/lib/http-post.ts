import http from 'node:http';
import https from 'node:https';

/**
 * POST a body and read the whole answer as text, over kept-alive connections. The API clients (WeChat Shop,
 * 1688) make a dozen calls per order; `fetch` spends several times the CPU of a plain node:http request on
 * streams, abort signals and Request objects (bench/pipeline), so they use this instead.
 *
 * Rejects on connection errors, on the timeout and on an answer over `MAX_ANSWER_BYTES` (the request may have
 * reached the server: callers decide what an unknown outcome means for their call). With `idempotent`, the
 * documented keep-alive race is retried once on a new connection: a kept-alive connection reset before any answer
 * (`reusedSocket` and ECONNRESET). Never for other calls — the same symptom is also an answer lost after the
 * server acted (an order created, then the connection dropped), which only the caller can reconcile.
 */
export interface PostResult {
  status: number;
  text: string;
}

export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const agentOptions = { keepAlive: true, maxSockets: 128, maxFreeSockets: 64, scheduling: 'lifo' as const };
const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

export async function postText(url: string, opts: { headers: Record<string, string>; body: string; timeoutMs: number; idempotent?: boolean }): Promise<PostResult> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error(`unsupported URL scheme ${target.protocol}`);
  // A string body goes out in the same write as the headers (a Buffer would be a second chunk: writev).
  const body = opts.body;
  try {
    return await once(target, opts, body);
  } catch (err) {
    if (opts.idempotent && (err as { staleKeepAlive?: boolean }).staleKeepAlive) return once(target, opts, body);
    throw err;
  }
}

function once(target: URL, opts: { headers: Record<string, string>; timeoutMs: number }, body: string): Promise<PostResult> {
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    let answered = false;
    const req = mod.request(target, { method: 'POST', agent: agents[target.protocol as 'http:' | 'https:'], headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(body, 'utf8')) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      if (!answered && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') Object.assign(err, { staleKeepAlive: true });
      reject(err);
    }
    req.on('error', fail);
    req.end(body, 'utf8');
  });
}
