import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * POST a body and read the whole answer as text, over kept-alive connections. The API clients (WeChat Shop,
 * 1688) make a dozen calls per order; `fetch` spends several times the CPU of a plain node:http request on
 * streams, abort signals and Request objects (bench/pipeline), so they use node:http (`http-thread.cjs`).
 *
 * The requests run on a thread of their own, the I/O thread: building each request, writing it, parsing the
 * answer and the sockets' events took about a quarter of the event loop's time per order (bench/pipeline: the
 * main thread 10.5 → 7.6 ms per order), and the event loop is what caps one process. Each call is one message
 * each way, the answer as text. `DAIFA_HTTP_THREAD=0` keeps the requests on the calling thread.
 *
 * Rejects on connection errors, on the timeout and on an answer over `MAX_ANSWER_BYTES` (the request may have
 * reached the server: callers decide what an unknown outcome means for their call). With `idempotent`, the
 * documented keep-alive race is retried once on a new connection: a kept-alive connection reset before any answer
 * (`reusedSocket` and ECONNRESET). Never for other calls — the same symptom is also an answer lost after the
 * server acted (an order created, then the connection dropped), which only the caller can reconcile. If the I/O
 * thread dies, or does not answer within the timeout plus `THREAD_GRACE_MS`, the call is rejected the same way
 * (its outcome is unknown) and the next call starts a new thread.
 */
export interface PostResult {
  status: number;
  text: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  idempotent?: boolean;
}

export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const THREAD_GRACE_MS = 5_000;

type ThreadCode = { post(url: string, opts: PostOptions, maxBytes: number): Promise<PostResult> };
/** The request code run on this thread: loaded only when requests are made here (no thread, or it could not start). */
let onThisThread: ThreadCode | undefined;
const useThread = process.env.DAIFA_HTTP_THREAD !== '0';

export async function postText(url: string, opts: PostOptions): Promise<PostResult> {
  const scheme = url.slice(0, url.indexOf(':') + 1);
  if (scheme !== 'https:' && scheme !== 'http:') throw new Error(`unsupported URL scheme ${scheme || url}`);
  const request = { headers: opts.headers, body: opts.body, timeoutMs: opts.timeoutMs, idempotent: opts.idempotent === true };
  const thread = ioThread();
  if (thread) return thread.post(url, request);
  onThisThread ??= createRequire(import.meta.url)('./http-thread.cjs') as ThreadCode;
  return onThisThread.post(url, request, MAX_ANSWER_BYTES);
}

/** The I/O thread could not start at all (it failed before answering anything): requests stay on this thread. */
let threadBroken = false;
let threadFile = new URL('./http-thread.cjs', import.meta.url);

type Answer = { id: number; status?: number; text?: string; error?: { message: string; code?: string; staleKeepAlive: boolean } };
type Pending = { resolve: (r: PostResult) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

class IoThread {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private answered = false;
  dead = false;

  constructor() {
    this.worker = new Worker(threadFile, { execArgv: [], workerData: { daifaHttpThread: true, maxBytes: MAX_ANSWER_BYTES } });
    this.worker.unref(); // kept referenced only while calls are in flight, as their sockets would be
    this.worker.on('message', (m: Answer) => {
      this.answered = true;
      const p = this.settle(m.id);
      if (!p) return;
      if (m.error)
        p.reject(
          Object.assign(
            new Error(m.error.message),
            m.error.code ? { code: m.error.code } : {},
            m.error.staleKeepAlive ? { staleKeepAlive: true } : {},
          ),
        );
      else p.resolve({ status: m.status!, text: m.text! });
    });
    this.worker.on('error', (err) => {
      if (!this.answered) {
        // It never ran (a missing file, no resources for a thread): a new one would fail the same way.
        threadBroken = true;
        process.emitWarning(`Daifa HTTP thread could not start (${err.message}); API calls run on the main thread`);
      }
      this.fail(`failed (${err.message})`);
    });
    this.worker.on('exit', (code) => this.fail(`exited (${code})`));
  }

  post(url: string, opts: Required<PostOptions>): Promise<PostResult> {
    const id = this.nextId++;
    return new Promise<PostResult>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      const timer = setTimeout(
        () => this.settle(id)?.reject(new Error(`timeout after ${opts.timeoutMs} ms (the HTTP thread did not answer)`)),
        opts.timeoutMs + THREAD_GRACE_MS,
      );
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, url, opts });
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.worker.unref();
    return p;
  }

  private fail(why: string): void {
    this.dead = true;
    for (const id of [...this.pending.keys()]) this.settle(id)!.reject(new Error(`HTTP thread ${why}: the call's outcome is unknown`));
  }
}

let thread: IoThread | undefined;
/** The I/O thread, started (again) when needed; undefined when requests run on this thread. */
function ioThread(): IoThread | undefined {
  if (!useThread || threadBroken) return undefined;
  if (!thread || thread.dead) thread = new IoThread();
  return thread;
}

/**
 * Start the I/O thread now rather than at the first call (it takes tens of milliseconds to boot): for processes
 * that will make calls (a worker, the sandbox), so that the first order does not wait for it.
 */
export function startHttpThread(): void {
  ioThread();
}

/** Tests: the I/O thread in use (undefined when requests run on the calling thread). */
export function httpThreadForTests(): Worker | undefined {
  return ioThread()?.worker;
}

/** Tests: start the next I/O thread from another file (one that fails, say). */
export function setHttpThreadFileForTests(file: URL): void {
  threadFile = file;
}
