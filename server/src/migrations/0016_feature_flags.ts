import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * Feature flags (the guide's `feature_flags`), keyed by their `key`. `allowed_users` and
 * `allowed_roles` are JSON arrays kept as text (the same on both dialects); `percentage` is null
 * when the flag has no gradual rollout.
 *
 * The guide's five default flags are written here, once, on the first start that runs this
 * migration (so this copy of them is frozen with the migration; the running code keeps its own
 * copy as the fallback for FEATURE_FLAGS_ENABLED=false). Their changes go through the API and the
 * audit trail afterwards; the product refuses to delete them.
 */
const DEFAULTS: readonly {
  key: string;
  name: string;
  description: string;
  state: 'enabled' | 'disabled';
  allowed_roles: string[];
}[] = [
  {
    key: 'enterprise_audit',
    name: 'Enterprise audit',
    description: 'Detailed audit logging: reads of sensitive data are audited too (changes always are)',
    state: 'enabled',
    allowed_roles: [],
  },
  {
    key: 'enterprise_security',
    name: 'Enterprise security',
    description:
      'IP filtering and lockouts, switched at run time (ENTERPRISE_SECURITY_ENABLED is the master switch)',
    state: 'enabled',
    allowed_roles: [],
  },
  {
    key: 'data_governance',
    name: 'Data governance',
    description: 'GDPR compliance features: retention policies and data-subject requests',
    state: 'enabled',
    allowed_roles: [],
  },
  {
    key: 'advanced_analytics',
    name: 'Advanced analytics',
    description: 'The advanced analytics reports and charts',
    state: 'disabled',
    allowed_roles: [],
  },
  {
    key: 'bulk_operations',
    name: 'Bulk operations',
    description: 'Bulk data operations (bulk approve, large imports): on for admins only',
    state: 'enabled',
    allowed_roles: ['admin'],
  },
];

export const migration0016FeatureFlags: MigrationModule = {
  name: '0016_feature_flags',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('feature_flags')
      .addColumn('key', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      // enabled | disabled
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('percentage', 'integer')
      .addColumn('allowed_users', 'text', (col) => col.notNull())
      .addColumn('allowed_roles', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .addColumn('updated_by', 'text')
      .execute();
    const now = new Date().toISOString();
    await db
      .insertInto('feature_flags')
      .values(
        DEFAULTS.map((flag) => ({
          key: flag.key,
          name: flag.name,
          description: flag.description,
          state: flag.state,
          percentage: null,
          allowed_users: '[]',
          allowed_roles: JSON.stringify(flag.allowed_roles),
          created_at: now,
          updated_at: now,
          created_by: null,
          updated_by: null,
        })),
      )
      .execute();
  },
};
