/**
 * The Kysely view of every table. Each module owns its tables (only its store queries them);
 * this file only assembles their row types so one typed handle covers the whole database.
 *
 * Conventions on both dialects: ids are UUID text, timestamps are ISO-8601 UTC text with
 * milliseconds (they sort and round-trip identically everywhere), booleans are 0/1 integers.
 */
import type { SessionsTable } from '../../modules/auth/auth.store.ts';
import type { UsersTable } from '../../modules/users/users.store.ts';

export interface Database {
  users: UsersTable;
  security_sessions: SessionsTable;
}
