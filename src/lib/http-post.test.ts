import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/** A raw HTTP/1.1 server, so the test decides exactly what each connection does. */
function rawServer(onRequest: (socket: Socket, n: number) => void): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let requests = 0;
    socket.on('data', () => onRequest(socket, ++requests));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/x`, connections: () => connections }),
    ),
  );
}
const sockets = new Set<Socket>();
const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`;

// On the I/O thread (the default) and on the calling thread (DAIFA_HTTP_THREAD=0): the same behaviour.
describe.each([
  { mode: 'on the I/O thread', env: undefined },
  { mode: 'on the calling thread', env: '0' },
])('postText $mode', ({ env }) => {
  let postText: typeof import('./http-post.js').postText;
  let httpThreadForTests: typeof import('./http-post.js').httpThreadForTests;
  let setHttpThreadFileForTests: typeof import('./http-post.js').setHttpThreadFileForTests;
  let startHttpThread: typeof import('./http-post.js').startHttpThread;
  beforeAll(async () => {
    vi.resetModules();
    if (env === undefined) delete process.env.DAIFA_HTTP_THREAD;
    else process.env.DAIFA_HTTP_THREAD = env;
    ({ postText, httpThreadForTests, setHttpThreadFileForTests, startHttpThread } = await import('./http-post.js'));
    delete process.env.DAIFA_HTTP_THREAD;
  });
  let server: Server | undefined;
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('a kept-alive connection the server dropped before answering is retried once on a new one', async () => {
    const s = await rawServer((socket, n) => (n === 1 ? socket.write(ok('{"n":1}')) : socket.destroy()));
    server = s.server;
    const opts = { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000, idempotent: true };
    expect((await postText(s.url, opts)).text).toBe('{"n":1}');
    expect((await postText(s.url, opts)).text).toBe('{"n":1}'); // answered by the second connection's first request
    expect(s.connections()).toBe(2);
  });

  it('a call that is not idempotent is never sent twice: the reset is the caller’s unknown outcome', async () => {
    const s = await rawServer((socket, n) => (n === 1 ? socket.write(ok('{"n":1}')) : socket.destroy()));
    server = s.server;
    const opts = { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000 };
    expect((await postText(s.url, opts)).text).toBe('{"n":1}');
    await expect(postText(s.url, opts)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(s.connections()).toBe(1);
  });

  it('an answer that never comes times out; a connection refused is an error, not a retry loop', async () => {
    const s = await rawServer(() => undefined);
    server = s.server;
    await expect(postText(s.url, { headers: {}, body: '{}', timeoutMs: 100 })).rejects.toThrow(/timeout after 100 ms/);
    await expect(postText('http://127.0.0.1:1/x', { headers: {}, body: '{}', timeoutMs: 1000 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(postText('ftp://127.0.0.1/x', { headers: {}, body: '', timeoutMs: 1000 })).rejects.toThrow(/unsupported URL scheme/);
  });

  it('the I/O thread dying fails the calls in flight as unknown outcomes; the next call gets a new thread', async () => {
    const thread = httpThreadForTests();
    if (!thread) return expect(env).toBe('0'); // requests run on the calling thread: there is no thread to lose
    let requests = 0; // over all connections: the first one is left unanswered
    const s = await rawServer((socket) => (++requests === 1 ? undefined : socket.write(ok('{"n":2}'))));
    server = s.server;
    const inFlight = postText(s.url, { headers: {}, body: '{}', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100)); // the request reached the server, which keeps it unanswered
    await thread.terminate();
    await expect(inFlight).rejects.toThrow(/HTTP thread exited .*outcome is unknown/);
    expect(httpThreadForTests()).not.toBe(thread);
    expect((await postText(s.url, { headers: {}, body: '{}', timeoutMs: 2000 })).text).toBe('{"n":2}');
  });

  it('an I/O thread that cannot start at all: its calls fail as unknown outcomes, later calls run on the calling thread', async () => {
    const thread = httpThreadForTests();
    if (!thread) return expect(env).toBe('0');
    const s = await rawServer((socket) => socket.write(ok('{"n":3}')));
    server = s.server;
    setHttpThreadFileForTests(new URL('./no-such-thread-file.cjs', import.meta.url));
    const warned = new Promise<string>((resolve) => process.once('warning', (w) => resolve(w.message)));
    await thread.terminate(); // the next call starts a thread from the missing file
    await expect(postText(s.url, { headers: {}, body: '{}', timeoutMs: 2000 })).rejects.toThrow(/HTTP thread failed .*outcome is unknown/);
    expect(await warned).toMatch(/could not start/);
    expect(httpThreadForTests()).toBeUndefined();
    // Not started again, by a call or by a process start (which would fail and warn again).
    let warnings = 0;
    const count = () => warnings++;
    process.on('warning', count);
    startHttpThread();
    expect((await postText(s.url, { headers: {}, body: '{}', timeoutMs: 2000 })).text).toBe('{"n":3}');
    await new Promise((r) => setTimeout(r, 300));
    process.off('warning', count);
    expect(warnings).toBe(0);
  });
});
