import type { FlagRules } from './evaluate.ts';

/**
 * The guide's default enterprise flags and what each switches in the product. Migration 0016
 * writes them once; this copy is what every flag falls back to when FEATURE_FLAGS_ENABLED=false
 * (a flag not listed here is then off).
 */
export interface DefaultFlag extends FlagRules {
  name: string;
  description: string;
}

export const DEFAULT_FLAGS: readonly DefaultFlag[] = [
  {
    key: 'enterprise_audit',
    name: 'Enterprise audit',
    description: 'Detailed audit logging: reads of sensitive data are audited too (changes always are)',
    state: 'enabled',
    percentage: null,
    allowed_users: [],
    allowed_roles: [],
  },
  {
    key: 'enterprise_security',
    name: 'Enterprise security',
    description:
      'IP filtering and lockouts, switched at run time (ENTERPRISE_SECURITY_ENABLED is the master switch)',
    state: 'enabled',
    percentage: null,
    allowed_users: [],
    allowed_roles: [],
  },
  {
    key: 'data_governance',
    name: 'Data governance',
    description: 'GDPR compliance features: retention policies and data-subject requests',
    state: 'enabled',
    percentage: null,
    allowed_users: [],
    allowed_roles: [],
  },
  {
    key: 'advanced_analytics',
    name: 'Advanced analytics',
    description: 'The advanced analytics reports and charts',
    state: 'disabled',
    percentage: null,
    allowed_users: [],
    allowed_roles: [],
  },
  {
    key: 'bulk_operations',
    name: 'Bulk operations',
    description: 'Bulk data operations (bulk approve, large imports): on for admins only',
    state: 'enabled',
    percentage: null,
    allowed_users: [],
    allowed_roles: ['admin'],
  },
];

export const BUILT_IN_KEYS: ReadonlySet<string> = new Set(DEFAULT_FLAGS.map((flag) => flag.key));

/** The keys other modules gate on. */
export type BuiltInFlag =
  | 'enterprise_audit'
  | 'enterprise_security'
  | 'data_governance'
  | 'advanced_analytics'
  | 'bulk_operations';
