import { sql } from 'kysely';
import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * A subtree of the location tree is `path LIKE '<path of its root>%'`. The plain index on `path`
 * serves ORDER BY path but not that prefix match: PostgreSQL only uses a B-tree for LIKE under
 * the C collation or with `text_pattern_ops`, and SQLite only with a NOCASE index while LIKE is
 * case-insensitive (its default). Paths are lower-case hex ids and '/', so NOCASE changes nothing.
 */
export const migration0005LocationSubtreeIndex: MigrationModule = {
  name: '0005_location_subtree_index',
  async up(db: MigrationDb, dialect) {
    if (dialect === 'postgres') {
      await sql`create index locations_path_prefix_idx on locations (path text_pattern_ops)`.execute(db);
    } else {
      await sql`create index locations_path_prefix_idx on locations (path collate nocase)`.execute(db);
    }
  },
};
