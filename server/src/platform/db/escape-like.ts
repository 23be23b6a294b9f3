/**
 * Escapes LIKE wildcards so user text matches literally; use with `escape '\'` in the query.
 * Both dialects take the same escape clause.
 */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
