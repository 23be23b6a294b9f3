/**
 * The Kysely view of every table. Each module owns its tables (only its store queries them);
 * this file only assembles their row types so one typed handle covers the whole database.
 *
 * Conventions on both dialects: ids are UUID text, timestamps are ISO-8601 UTC text with
 * milliseconds (they sort and round-trip identically everywhere), booleans are 0/1 integers,
 * quantities and money are scaled integers (platform/decimal.ts).
 */
import type {
  AuditCheckpointsTable,
  AuditLogsTable,
  AuditRetentionCutsTable,
  AuditSubjectKeysTable,
  DataArchiveTable,
} from '../../modules/audit/audit.store.ts';
import type { SessionsTable } from '../../modules/auth/auth.store.ts';
import type {
  CountAdjustmentsTable,
  CountAssignmentsTable,
  CountClaimsTable,
  CountEntriesTable,
  CountLineRoundsTable,
  CountLinesTable,
  CountSessionsTable,
  CountSnapshotTable,
  ErpOutboxTable,
} from '../../modules/counting/counting.tables.ts';
import type { CountLocationCompletionsTable } from '../../modules/counting/entries/entries.store.ts';
import type { FeatureFlagsTable } from '../../modules/flags/flags.store.ts';
import type { DataSubjectRequestsTable } from '../../modules/governance/requests/requests.store.ts';
import type {
  ArchiveHashColumn,
  RetentionPoliciesTable,
  RetentionRunsTable,
} from '../../modules/governance/retention/retention.store.ts';
import type { ImportErrorsTable, ImportJobsTable } from '../../modules/imports/imports.store.ts';
import type { ErpConnectorsTable } from '../../modules/integrations/connectors/connectors.store.ts';
import type {
  ErpDeliveryTargetTable,
  OutboxDeliveryColumns,
} from '../../modules/integrations/delivery/delivery.store.ts';
import type { ErpSyncStateTable } from '../../modules/integrations/sync/sync.store.ts';
import type { ItemBarcodesTable, ItemsTable } from '../../modules/items/items.store.ts';
import type { LocationsTable, WarehousesTable } from '../../modules/locations/locations.store.ts';
import type { SecurityEventsTable } from '../../modules/security/events/security-events.service.ts';
import type { IpListsTable } from '../../modules/security/ip-lists/ip-lists.store.ts';
import type {
  LockedAccountsTable,
  LockoutAddressesTable,
  TrustedDevicesTable,
} from '../../modules/security/lockout/lockout.store.ts';
import type { MfaRecoveryCodesTable, MfaTable } from '../../modules/security/mfa/mfa.store.ts';
import type { StockLevelsTable } from '../../modules/stock-levels/stock-levels.store.ts';
import type { UsersTable } from '../../modules/users/users.store.ts';
import type { JobLeasesTable, JobRunsTable } from '../jobs/jobs.store.ts';
import type { CacheVersionsTable } from './cache-versions.ts';

export interface Database {
  users: UsersTable;
  security_sessions: SessionsTable;
  warehouses: WarehousesTable;
  locations: LocationsTable;
  items: ItemsTable;
  item_barcodes: ItemBarcodesTable;
  stock_levels: StockLevelsTable;
  import_jobs: ImportJobsTable;
  import_errors: ImportErrorsTable;
  enterprise_audit_logs: AuditLogsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_retention_cuts: AuditRetentionCutsTable;
  audit_subject_keys: AuditSubjectKeysTable;
  /** Written by the audit trail's retention and by governance retention (which adds `hash`). */
  data_archive: DataArchiveTable & ArchiveHashColumn;
  security_events: SecurityEventsTable;
  security_ip_lists: IpListsTable;
  cache_versions: CacheVersionsTable;
  security_locked_accounts: LockedAccountsTable;
  security_trusted_devices: TrustedDevicesTable;
  security_lockout_addresses: LockoutAddressesTable;
  security_mfa: MfaTable;
  security_mfa_recovery_codes: MfaRecoveryCodesTable;
  count_sessions: CountSessionsTable;
  count_snapshot: CountSnapshotTable;
  count_assignments: CountAssignmentsTable;
  count_claims: CountClaimsTable;
  count_entries: CountEntriesTable;
  count_lines: CountLinesTable;
  count_line_rounds: CountLineRoundsTable;
  count_location_completions: CountLocationCompletionsTable;
  count_adjustments: CountAdjustmentsTable;
  /** Queued by posting (counting), delivered by integrations/delivery, which adds its columns. */
  erp_outbox: ErpOutboxTable & OutboxDeliveryColumns;
  feature_flags: FeatureFlagsTable;
  job_leases: JobLeasesTable;
  job_runs: JobRunsTable;
  erp_connectors: ErpConnectorsTable;
  erp_delivery_target: ErpDeliveryTargetTable;
  erp_sync_state: ErpSyncStateTable;
  data_subject_requests: DataSubjectRequestsTable;
  retention_policies: RetentionPoliciesTable;
  retention_runs: RetentionRunsTable;
}
