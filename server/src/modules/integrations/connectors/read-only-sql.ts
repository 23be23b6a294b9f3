/**
 * The first line of defence for an SQL source's mapping queries: exactly one SELECT (or WITH …
 * SELECT) statement, nothing that writes, locks, changes the session or reaches outside the
 * database. The second is the READ ONLY transaction every query runs in; the third, which no
 * check here replaces, is a database account that can only read (see the README).
 *
 * The text is scanned once with string literals, quoted identifiers and comments taken out, so a
 * keyword inside a string ('DROP') does not count and one hidden in a comment cannot slip through.
 */

export type SqlCheck = { ok: true; sql: string } | { ok: false; reason: string };

/**
 * Words that make a statement starting with SELECT or WITH write, lock or reach outside (a
 * data-modifying CTE, SELECT … INTO, LOCK IN SHARE MODE), and DDL for good measure. Not `replace`
 * or `set`: REPLACE() is a string function, and neither can start a statement after a SELECT.
 */
const FORBIDDEN = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'upsert',
  'create',
  'alter',
  'drop',
  'truncate',
  'grant',
  'revoke',
  'copy',
  'call',
  'exec',
  'execute',
  'into',
  'outfile',
  'dumpfile',
  'lock',
  'handler',
]);

/** Functions with effects outside the query (files, other sessions, other servers, settings). */
const FORBIDDEN_FUNCTIONS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'lo_import',
  'lo_export',
  'lo_unlink',
  'set_config',
  'dblink',
  'dblink_exec',
  'dblink_connect',
  'nextval',
  'setval',
  'pg_advisory_lock',
  'pg_advisory_xact_lock',
  'get_lock',
  'release_lock',
  'load_file',
  'sys_exec',
  'sys_eval',
  'benchmark',
]);

const MAX_LENGTH = 20_000;

/** The statement with literals, quoted identifiers and comments blanked out; null if unterminated. */
function strip(sql: string): string | null {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (c === '#') {
      // MySQL's line comment (PostgreSQL has no `#` operator a mapping query would need).
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return null;
      i = end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return null;
        if (sql[j] === '\\' && c === "'") {
          j += 2;
          continue;
        }
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j += 1;
      }
      // A quoted identifier stays a name; a string literal becomes an empty literal.
      out += c === "'" ? "''" : ' sv_quoted ';
      i = j + 1;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i));
      if (tag && !/^\$\d/.test(sql.slice(i))) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end === -1) return null;
        out += "''";
        i = end + tag[0].length;
      } else {
        out += c;
        i += 1;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Accepts one read-only SELECT; returns it without a trailing semicolon. */
export function checkReadOnlySelect(sql: string): SqlCheck {
  const text = sql.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  if (text.length > MAX_LENGTH) return { ok: false, reason: `is longer than ${MAX_LENGTH} characters` };
  const stripped = strip(text);
  if (stripped === null) return { ok: false, reason: 'has an unterminated string, quoted name or comment' };
  const body = stripped.trim().replace(/;\s*$/, '');
  if (body.includes(';'))
    return { ok: false, reason: 'must be a single statement: no ";" between statements' };
  if (/;\s*$/.test(stripped.trim()) && !/;\s*$/.test(text))
    return { ok: false, reason: 'must end with the statement: remove what follows the ";"' };
  if (text.includes('?')) {
    // The MySQL driver would read any "?", even one in a string, as a parameter placeholder of ours.
    return { ok: false, reason: 'must not contain "?"' };
  }
  if (/\$\d/.test(body)) return { ok: false, reason: 'must not contain $1-style parameters' };
  const words = body.toLowerCase().match(/[a-z_][a-z0-9_$]*/g) ?? [];
  const first = words[0];
  if (first !== 'select' && first !== 'with') {
    return {
      ok: false,
      reason: `must be a SELECT statement (it starts with ${first?.toUpperCase() ?? '?'})`,
    };
  }
  for (const word of words) {
    if (FORBIDDEN.has(word))
      return { ok: false, reason: `must only read: ${word.toUpperCase()} is not allowed in a mapping query` };
    if (FORBIDDEN_FUNCTIONS.has(word)) return { ok: false, reason: `must not call ${word}()` };
  }
  // `FOR UPDATE` / `FOR KEY SHARE` take row locks: a read for a sync takes none.
  if (/\bfor\s+(no\s+key\s+)?(update|key\s+share|share)\b/i.test(body))
    return { ok: false, reason: 'must not lock rows (FOR UPDATE / FOR SHARE)' };
  return { ok: true, sql: text.replace(/;\s*$/, '').trim() };
}
