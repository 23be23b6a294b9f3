import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * GDPR data subject requests (modules/governance/requests): access, portability, rectification
 * and erasure, each through received → verified → processing → completed (or rejected), due 30
 * days after receipt (extendable). `subject_user_id` is the user the request is about (a
 * pseudonym once the person is erased); `subject_ref`, `subject_email`, `details` and
 * `corrections` are personal data and are replaced by `subject_hash` (one-way) when the subject
 * is erased.
 */
export const migration0022DataSubjectRequests: MigrationModule = {
  name: '0022_data_subject_requests',
  async up(db: MigrationDb) {
    await db.schema
      .createTable('data_subject_requests')
      .addColumn('id', 'text', (col) => col.primaryKey())
      // access | erasure | rectification | portability
      .addColumn('request_type', 'text', (col) => col.notNull())
      // received | verified | processing | completed | rejected
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('subject_user_id', 'text', (col) => col.notNull())
      // The id or username as given; null once erased.
      .addColumn('subject_ref', 'text')
      .addColumn('subject_email', 'text')
      // SHA-256 of the reference and e-mail, kept after erasure to recognise a repeated request.
      .addColumn('subject_hash', 'text', (col) => col.notNull())
      .addColumn('details', 'text')
      // JSON {display_name?, username?}: rectification only.
      .addColumn('corrections', 'text')
      .addColumn('received_at', 'text', (col) => col.notNull())
      .addColumn('due_at', 'text', (col) => col.notNull())
      .addColumn('extended_days', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('extension_reason', 'text')
      .addColumn('verified_at', 'text')
      .addColumn('processing_at', 'text')
      .addColumn('completed_at', 'text')
      .addColumn('rejected_at', 'text')
      .addColumn('rejection_reason', 'text')
      // JSON summary of the work done (tables and row counts), never personal data.
      .addColumn('result', 'text')
      .addColumn('created_by', 'text')
      .addColumn('updated_by', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('data_subject_requests_received_idx')
      .on('data_subject_requests')
      .columns(['received_at', 'id'])
      .execute();
    await db.schema
      .createIndex('data_subject_requests_subject_idx')
      .on('data_subject_requests')
      .column('subject_user_id')
      .execute();
  },
};
