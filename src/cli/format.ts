import { formatYuan } from '../domain/money.js';

/** Plain aligned tables for the terminal (CJK characters count double width). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(width(c), ...cells.map((row) => width(row[i]!))));
  const line = (vals: string[]) => vals.map((v, i) => v + ' '.repeat(widths[i]! - width(v))).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export const yuan = formatYuan;

export function time(ms: number | null | undefined): string {
  if (!ms) return '';
  return new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}
