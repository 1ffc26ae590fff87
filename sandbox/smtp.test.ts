import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SmtpTwin } from './smtp.js';

describe('the sandbox SMTP twin', () => {
  it('a port already taken is a clear start-up error, not an uncaught exception later', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(new SmtpTwin().start(port)).rejects.toThrow(`cannot listen on port ${port}`);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
