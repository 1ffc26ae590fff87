/**
 * Text similarity for Chinese product titles: Dice coefficient over character bigrams (plus unigrams for
 * very short strings). Word segmentation is unnecessary — Chinese titles share bigrams like "保温", "温杯".
 */
function grams(text: string): Map<string, number> {
  const s = text.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
  const out = new Map<string, number>();
  const add = (g: string) => out.set(g, (out.get(g) ?? 0) + 1);
  if (s.length < 3) for (const ch of s) add(ch);
  for (let i = 0; i + 1 < s.length; i++) add(s.slice(i, i + 2));
  return out;
}

export function similarity(a: string, b: string): number {
  const x = grams(a);
  const y = grams(b);
  let both = 0;
  let total = 0;
  for (const [g, n] of x) {
    both += Math.min(n, y.get(g) ?? 0);
    total += n;
  }
  for (const n of y.values()) total += n;
  return total === 0 ? 0 : (2 * both) / total;
}

export interface Suggestion<T> {
  item: T;
  score: number;
}

/** Rank items by similarity of title and spec attributes to the line; the title counts most. */
export function rankBySimilarity<T>(
  line: { title: string; attrs: string },
  items: T[],
  text: (t: T) => { title: string; attrs: string },
  top = 5,
): Suggestion<T>[] {
  return items
    .map((item) => {
      const t = text(item);
      const score = 0.7 * similarity(line.title, t.title) + 0.3 * (line.attrs || t.attrs ? similarity(line.attrs, t.attrs) : 0);
      return { item, score: Math.round(score * 1000) / 1000 };
    })
    .filter((s) => s.score > 0.1)
    .sort((a, b) => b.score - a.score)
    .slice(0, top);
}
