/** Money is integer fen everywhere in the domain. Conversion happens once, at the edges. */
export type Fen = number;

export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Parse a yuan decimal (number or string, as 1688 sends) into fen without floating-point arithmetic. */
export function yuanToFen(yuan: number | string): Fen {
  const text = typeof yuan === 'number' ? yuan.toFixed(2) : yuan.trim();
  const m = /^(-)?(\d+)(?:\.(\d{0,2})\d*)?$/.exec(text);
  if (!m) throw new Error(`not a yuan amount: ${yuan}`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

export function assertFen(value: unknown, field: string): Fen {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`${field} must be an integer amount in fen`);
  return value;
}
