import type { MigrationModule } from '../platform/db/migrator.ts';
import { migration0001Users } from './0001_users.ts';
import { migration0002SecuritySessions } from './0002_security_sessions.ts';
import { migration0003MasterData } from './0003_master_data.ts';
import { migration0004Imports } from './0004_imports.ts';
import { migration0005LocationSubtreeIndex } from './0005_location_subtree_index.ts';
import { migration0006ImportJobDetails } from './0006_import_job_details.ts';
import { migration0007Audit } from './0007_audit.ts';
import { migration0008SecurityEvents } from './0008_security_events.ts';
import { migration0009IpLists } from './0009_ip_lists.ts';
import { migration0010Lockouts } from './0010_lockouts.ts';
import { migration0011Mfa } from './0011_mfa.ts';
import { migration0012LockoutTrySources } from './0012_lockout_try_sources.ts';
import { migration0013Counting } from './0013_counting.ts';
import { migration0014CountingEntriesExtra } from './0014_counting_entries_extra.ts';
import { migration0015CountingPosting } from './0015_counting_posting.ts';
import { migration0016FeatureFlags } from './0016_feature_flags.ts';
import { migration0017Jobs } from './0017_jobs.ts';
import { migration0018ErpConnectors } from './0018_erp_connectors.ts';
import { migration0019ErpSync } from './0019_erp_sync.ts';
import { migration0020ErpDelivery } from './0020_erp_delivery.ts';
import { migration0021GovernanceRetention } from './0021_governance_retention.ts';
import { migration0022DataSubjectRequests } from './0022_data_subject_requests.ts';

/** The ordered list of every migration. Append only: a released migration never changes. */
export const migrations: readonly MigrationModule[] = [
  migration0001Users,
  migration0002SecuritySessions,
  migration0003MasterData,
  migration0004Imports,
  migration0005LocationSubtreeIndex,
  migration0006ImportJobDetails,
  migration0007Audit,
  migration0008SecurityEvents,
  migration0009IpLists,
  migration0010Lockouts,
  migration0011Mfa,
  migration0012LockoutTrySources,
  migration0013Counting,
  migration0014CountingEntriesExtra,
  migration0015CountingPosting,
  migration0016FeatureFlags,
  migration0017Jobs,
  migration0018ErpConnectors,
  migration0019ErpSync,
  migration0020ErpDelivery,
  migration0021GovernanceRetention,
  migration0022DataSubjectRequests,
];
