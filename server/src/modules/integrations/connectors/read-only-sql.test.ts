import { describe, expect, it } from 'vitest';
import { checkReadOnlySelect } from './read-only-sql.ts';

describe('read-only mapping queries', () => {
  it.each([
    'SELECT code, name FROM items',
    'select code, name from erp.items where active = 1 order by code',
    "SELECT code FROM items WHERE note <> 'DROP TABLE x; DELETE'",
    'WITH a AS (SELECT code FROM items) SELECT * FROM a',
    'SELECT code FROM items -- DELETE in a comment\n',
    'SELECT code FROM items;',
    "SELECT REPLACE(code, '-', '') AS code, \"update\" AS name FROM items",
    'SELECT code, SLEEP(1) FROM items',
  ])('accepts %s', (sql) => {
    const check = checkReadOnlySelect(sql);
    expect(check.ok, JSON.stringify(check)).toBe(true);
    if (check.ok) expect(check.sql.endsWith(';')).toBe(false);
  });

  it.each([
    ['', /empty/],
    ['SELECT 1; DROP TABLE items', /single statement/],
    ['SELECT 1; SELECT 2', /single statement/],
    ['INSERT INTO items VALUES (1)', /SELECT statement/],
    ['UPDATE items SET name = 1', /SELECT statement/],
    ['DELETE FROM items', /SELECT statement/],
    ['DROP TABLE items', /SELECT statement/],
    ['TRUNCATE items', /SELECT statement/],
    ['WITH gone AS (DELETE FROM items RETURNING *) SELECT * FROM gone', /DELETE/],
    ['SELECT * INTO backup FROM items', /INTO/],
    ["SELECT * FROM items INTO OUTFILE '/tmp/x'", /INTO/],
    ['SELECT * FROM items FOR UPDATE', /UPDATE|lock/],
    ['SELECT * FROM items FOR SHARE', /lock/],
    ['SELECT * FROM items LOCK IN SHARE MODE', /LOCK/],
    ["SELECT pg_read_file('/etc/passwd')", /pg_read_file/],
    ["SELECT setval('s', 1)", /setval/],
    ['SELECT * FROM items WHERE code = ?', /\?/],
    ['SELECT * FROM items WHERE code = $1', /parameters/],
    ["SELECT 'unterminated FROM items", /unterminated/],
    ['SELECT 1 /* open comment', /unterminated/],
    ['SELECT 1; -- trailing', /remove what follows/],
    ['/* hidden */ DELETE FROM items', /SELECT statement/],
  ])('refuses %s', (sql, reason) => {
    const check = checkReadOnlySelect(sql);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });
});
