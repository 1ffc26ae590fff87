import { parse as losslessParse } from 'lossless-json';

/**
 * WeChat and 1688 ids are 64-bit integers (19 digits) that JSON.parse silently rounds.
 * Parse losslessly: integers beyond 2^53 become decimal strings, everything else stays a number.
 * Callers normalise id fields with `idString()` so that both wire forms (bare number or string) end up equal.
 */
export function parseJsonLossless(text: string): unknown {
  // Fast path (most bodies): quote the integers JSON.parse would round, then let the native parser do the rest.
  // The alternation consumes whole string tokens first, so digits inside strings are never touched; a number
  // is only rewritten when it is a bare integer (no sign of a fraction or exponent on either side).
  return JSON.parse(SIXTEEN_DIGITS.test(text) ? text.replace(BIG_INT_OR_STRING, quoteUnsafe) : text);
}

const SIXTEEN_DIGITS = /\d{16}/;
const BIG_INT_OR_STRING = /"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

function quoteUnsafe(token: string): string {
  if (token.charCodeAt(0) === 34 /* " */) return token;
  return Number.isSafeInteger(Number(token)) ? token : `"${token}"`;
}

/** The reference implementation of the same rule (a full lossless parser), kept for the equivalence test. */
export function parseJsonLosslessSlow(text: string): unknown {
  return losslessParse(text, undefined, parseNumber);
}

function parseNumber(value: string): number | string {
  if (/^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return Number(value);
}

/** An external id as an exact string, whatever JSON type it arrived as. */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** Serialise with selected keys emitted as bare JSON integers (the form WeChat pushes use for order_id). */
export function stringifyWithBareIds(value: unknown, bareKeys: readonly string[]): string {
  let text = JSON.stringify(value);
  for (const key of bareKeys) {
    text = text.replace(new RegExp(`"${key}":"(\\d+)"`, 'g'), `"${key}":$1`);
  }
  return text;
}

/**
 * An integer id to be written as a bare JSON number, exactly (19-digit WeChat ids and 1688 Longs exceed 2^53, so
 * `Number(id)` would round them). Use inside a payload given to `stringifyLossless`.
 */
export class BareInt {
  readonly digits: string;
  constructor(id: string | number | bigint) {
    const s = String(id).trim();
    if (!/^-?\d{1,20}$/.test(s)) throw new TypeError(`not an integer id: ${s.slice(0, 40)}`);
    this.digits = s;
  }
  toJSON(): string {
    return `\u0000bare:${this.digits}\u0000`;
  }
}

export const bareInt = (id: string | number | bigint): BareInt => new BareInt(id);

const BARE_MARK = /"\\u0000bare:(-?\d+)\\u0000"/g;

/** JSON.stringify, with every `BareInt` written as a bare integer (never a quoted string, never rounded). */
export function stringifyLossless(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000bare:') ? text.replace(BARE_MARK, '$1') : text;
}
