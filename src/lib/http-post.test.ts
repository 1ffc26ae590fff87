import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postText } from './http-post.js';

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
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/x`, connections: () => connections })));
}
const sockets = new Set<Socket>();
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`;

describe('postText', () => {
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
});
