import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every message it receives (tests and the sandbox demo). */
export interface MailRecord {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
  at: number;
}

export class SmtpTwin {
  readonly messages: MailRecord[] = [];
  /** When set, a message is received and kept but the connection drops before the answer: "it may be out". */
  loseAnswer = false;
  /** When set, authentication must match (to test refusals). */
  requireAuth?: { user: string; pass: string };
  private server?: SMTPServer;
  port = 0;

  async start(port = 0): Promise<number> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, cb) => {
        if (!this.requireAuth || (auth.username === this.requireAuth.user && auth.password === this.requireAuth.pass))
          cb(null, { user: auth.username });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onMailFrom: (_addr, session, cb) => {
        if (this.requireAuth && !session.user) cb(Object.assign(new Error('Authentication required'), { responseCode: 530 }));
        else cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: decodeSubject(raw),
            text: decodeText(raw),
            raw,
            at: Date.now(),
          });
          if (!this.loseAnswer) return cb();
          for (const c of (this.server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections)
            if (c.id === session.id) c._socket.destroy();
        });
      },
    });
    // A port already taken is a clear start-up error (npm start puts this twin on DAIFA_SANDBOX_PORT + 1), never an
    // uncaught exception after start-up seemed to succeed.
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) =>
        reject(new Error(`沙箱邮件服务无法监听端口 ${port} / the sandbox SMTP twin cannot listen on port ${port}: ${err.message}`));
      this.server!.once('error', failed);
      this.server!.listen(port, '127.0.0.1', () => {
        this.server!.off('error', failed);
        resolve();
      });
    });
    this.port = (this.server.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** RFC 2047 encoded-words (=?UTF-8?B?…?= / ?Q?) in the Subject header. */
function decodeSubject(raw: string): string {
  const m = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw);
  if (!m) return '';
  return m[1]!
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_all, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    )
    .trim();
}

/** The text body of a single-part message sent with base64 transfer encoding. */
function decodeText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = raw.slice(0, split);
  const body = raw.slice(split).trim();
  return /Content-Transfer-Encoding: base64/i.test(headers) ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
}
