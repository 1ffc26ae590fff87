import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { SQL_NOT_YET_MOVED } = createRequire(import.meta.url)('../../scripts/sql-owners.cjs') as { SQL_NOT_YET_MOVED: string[] };
const SQL = /\.(selectFrom|updateTable|insertInto|deleteFrom)\(|\bsql`/;

describe('the list of services whose SQL is not moved yet (scripts/sql-owners.cjs)', () => {
  it('names only files that exist and still hold SQL: a file moved to the repositories leaves the list', () => {
    const stale = SQL_NOT_YET_MOVED.filter((f) => !existsSync(f) || !SQL.test(readFileSync(f, 'utf8')));
    expect(stale).toEqual([]);
  });
});
