import pino, { type Logger } from 'pino';

/**
 * Structured logs. Secrets and buyer plaintext must never reach a log line: the redact list below is a
 * safety net for field names that could carry them; the code itself logs ids, not contents.
 */
export function createLogger(level: string, name = 'daifa'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        '*.secret',
        '*.app_secret',
        '*.appSecret',
        '*.password',
        '*.token',
        '*.access_token',
        '*.aesKey',
        '*.encodingAesKey',
        '*.user_name',
        '*.tel_number',
        '*.detail_info',
        '*.address_info',
        '*.fullName',
        '*.mobile',
        'headers.authorization',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
