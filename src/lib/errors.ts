/**
 * One registry of error codes (Fastify's lib/errors.js pattern): each has a stable code, a message,
 * an HTTP status and whether retrying can help. Domain code throws DaifaError; one HTTP handler maps it.
 */
export const errorCodes = {
  VALIDATION: { status: 400, retryable: false, message: '请求参数不正确 / invalid request' },
  UNAUTHENTICATED: { status: 401, retryable: false, message: '需要登录 / authentication required' },
  FORBIDDEN: { status: 403, retryable: false, message: '没有权限 / not allowed for your role' },
  NOT_FOUND: { status: 404, retryable: false, message: '未找到 / not found' },
  CONFLICT: { status: 409, retryable: false, message: '状态冲突 / conflict with the current state' },
  // The 409s a caller can tell apart (CONFLICT is what is left):
  /** Done already — by this request before, by someone else meanwhile, or it exists: refresh and look. */
  ALREADY_DONE: { status: 409, retryable: false, message: '已处理过 / already done' },
  /** The thing is not in a state that allows this now (an order shipped, a payment not awaiting approval …). */
  WRONG_STATE: { status: 409, retryable: false, message: '当前状态不允许此操作 / not allowed in the current state' },
  /** This action does not apply to this kind of thing (a case of another kind, a supplier route without it …). */
  NOT_APPLICABLE: { status: 409, retryable: false, message: '此操作不适用 / not applicable here' },
  /** A limit stands in the way: a quota, a count, a margin floor, a deadline too close. */
  LIMIT_REACHED: { status: 409, retryable: false, message: '已达上限 / a limit is reached' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: '不支持的文件类型 / unsupported file type' },
  AMOUNT_MISMATCH: { status: 422, retryable: false, message: '金额不一致 / amount does not match' },
  RATE_LIMITED: { status: 429, retryable: true, message: '请求过于频繁 / too many requests' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: '请求体过大 / payload too large' },
  PUSH_SIGNATURE_INVALID: { status: 401, retryable: false, message: '推送签名无效 / push signature invalid' },
  PUSH_MALFORMED: { status: 400, retryable: false, message: '推送格式错误 / malformed push' },
  WECHAT_API: { status: 502, retryable: false, message: '微信接口返回错误 / WeChat API error' },
  WECHAT_RATE_LIMITED: { status: 503, retryable: true, message: '微信接口限流 / WeChat API rate limited' },
  UPSTREAM_UNAVAILABLE: { status: 503, retryable: true, message: '上游服务暂不可用 / upstream unavailable' },
  CONFIG: { status: 500, retryable: false, message: '配置错误 / configuration error' },
  INTERNAL: { status: 500, retryable: false, message: '内部错误 / internal error' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class DaifaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: unknown;
  /** For retryable errors: the earliest sensible retry, in ms from now. */
  readonly retryAfterMs?: number;

  constructor(
    code: ErrorCode,
    message?: string,
    opts: { details?: unknown; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    const def = errorCodes[code];
    super(message ?? def.message, { cause: opts.cause });
    this.name = 'DaifaError';
    this.code = code;
    this.status = def.status;
    this.retryable = opts.retryable ?? def.retryable;
    this.details = opts.details;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof DaifaError) return err.retryable;
  // Network failures (connection refused/reset, timeouts) are transient by nature.
  const code = (err as { code?: string; cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  return (
    (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|UND_ERR_|ABORT_ERR)/.test(code)) ||
    (err as Error)?.name === 'TimeoutError' ||
    (err as Error)?.name === 'AbortError'
  );
}
