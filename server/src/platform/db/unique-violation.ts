/**
 * True when a statement failed on a unique index or primary key, on either dialect: services map
 * it to a 409 with a code that says which value is taken.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * What a unique violation was on, lower-cased, to tell two unique keys of one table apart:
 * PostgreSQL names the constraint (`locations_barcode_key`), SQLite the columns
 * (`UNIQUE constraint failed: locations.barcode`).
 */
export function uniqueViolationTarget(error: unknown): string {
  const { constraint, message } = (error ?? {}) as { constraint?: string; message?: string };
  return `${constraint ?? ''} ${message ?? ''}`.toLowerCase();
}
