import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { SQL_OWNERS } = createRequire(import.meta.url)('../../scripts/sql-owners.cjs') as { SQL_OWNERS: string[] };
// The same calls the lint rule refuses (eslint.config.js), found in the text.
const SQL = /\.(selectFrom|updateTable|insertInto|deleteFrom|replaceInto|mergeInto)\(|\bsql`|\bpreparedInsert\(/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}
/** A glob of the list as a regular expression (`**` any folders, `*` within one name). */
const globRe = (g: string) =>
  new RegExp(
    `^${g
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '@@')
      .replace(/\*/g, '[^/]*')
      .replace(/@@/g, '(?:.*/)?')}$`,
  );

describe('who may write SQL (scripts/sql-owners.cjs)', () => {
  const all = files('src');
  const owned = (f: string) => SQL_OWNERS.some((g) => globRe(g).test(f));

  it('no file of src/ but the repositories, read models, stores and migrations holds SQL', () => {
    const outside = all.filter((f) => !owned(f) && SQL.test(readFileSync(f, 'utf8')));
    expect(outside).toEqual([]);
  });

  it('every entry of the list names files that exist and hold SQL (a file that no longer writes SQL leaves it)', () => {
    const stale = SQL_OWNERS.filter((g) => !all.some((f) => globRe(g).test(f) && SQL.test(readFileSync(f, 'utf8'))));
    expect(stale).toEqual([]);
  });

  it('the globs match as the linter reads them', () => {
    expect(globRe('src/db/**/*.ts').test('src/db/repositories/deliveries.ts')).toBe(true);
    expect(globRe('src/db/**/*.ts').test('src/db/dialect.ts')).toBe(true);
    expect(globRe('src/**/queries.ts').test('src/dashboard/queries.ts')).toBe(true);
    expect(globRe('src/**/queries.ts').test('src/fulfilment/deadlines.ts')).toBe(false);
  });
});
