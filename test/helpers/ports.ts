import { createServer } from 'node:net';

const listenOn = (port: number) =>
  new Promise<{ port: number; close(): Promise<void> } | undefined>((r) => {
    const s = createServer();
    s.once('error', () => r(undefined));
    s.listen(port, '127.0.0.1', () =>
      r({ port: (s.address() as { port: number }).port, close: () => new Promise<void>((done) => s.close(() => done())) }),
    );
  });

/** A loopback port free right now (another process may still take it before it is used: use it at once). */
export async function freePort(): Promise<number> {
  const s = (await listenOn(0))!;
  await s.close();
  return s.port;
}

/** A free port whose next one is free too: `npm start`'s sandbox puts its SMTP twin on DAIFA_SANDBOX_PORT + 1. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const a = (await listenOn(0))!;
    const b = await listenOn(a.port + 1);
    await a.close();
    await b?.close();
    if (b) return a.port;
  }
}
