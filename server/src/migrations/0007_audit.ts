import { sql } from 'kysely';
import type { MigrationDb, MigrationModule } from '../platform/db/migrator.ts';

/**
 * The audit trail. `enterprise_audit_logs` is append-only in the database itself: triggers refuse
 * every UPDATE, and every DELETE of an entry that no retention cut covers (the retention path
 * records the cut in `audit_retention_cuts` first, in the same transaction). Checkpoints and cuts
 * are append-only too. Someone with DDL rights can still drop a trigger; the hash chain and the
 * signed checkpoints are what catch that.
 */
export const migration0007Audit: MigrationModule = {
  name: '0007_audit',
  async up(db: MigrationDb, dialect) {
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('enterprise_audit_logs')
      // Gap-free: 1, 2, 3... assigned under the append lock; also the Merkle leaf index + 1.
      .addColumn('seq', bigint, (col) => col.primaryKey())
      .addColumn('event_id', 'text', (col) => col.notNull().unique())
      .addColumn('timestamp', 'text', (col) => col.notNull())
      .addColumn('category', 'text', (col) => col.notNull())
      .addColumn('event_type', 'text', (col) => col.notNull())
      .addColumn('severity', 'text', (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('actor_user_id', 'text')
      .addColumn('actor_role', 'text')
      // The data subject whose key encrypts the actor's personal fields (username, IP address).
      .addColumn('actor_subject', 'text')
      .addColumn('resource_type', 'text')
      .addColumn('resource_id', 'text')
      // Canonical JSON, never personal data.
      .addColumn('details', 'text', (col) => col.notNull())
      // Canonical JSON {subject: ciphertext}: personal data, unreadable once the subject's key is erased.
      .addColumn('personal', 'text')
      .addColumn('request_id', 'text')
      .addColumn('trace_id', 'text')
      .addColumn('hash_algorithm', 'text', (col) => col.notNull())
      .addColumn('previous_hash', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('audit_logs_time_idx')
      .on('enterprise_audit_logs')
      .column('timestamp')
      .execute();
    await db.schema
      .createIndex('audit_logs_actor_idx')
      .on('enterprise_audit_logs')
      .columns(['actor_subject', 'seq'])
      .execute();
    await db.schema
      .createIndex('audit_logs_resource_idx')
      .on('enterprise_audit_logs')
      .columns(['resource_type', 'resource_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('audit_logs_type_idx')
      .on('enterprise_audit_logs')
      .columns(['event_type', 'seq'])
      .execute();

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('tree_size', bigint, (col) => col.primaryKey())
      .addColumn('root_hash', 'text', (col) => col.notNull())
      .addColumn('timestamp', 'text', (col) => col.notNull())
      .addColumn('origin', 'text', (col) => col.notNull())
      .addColumn('key_id', 'text', (col) => col.notNull())
      .addColumn('signature', 'text', (col) => col.notNull())
      // Hash of entry `tree_size` (the chain's link into the next entry) and the Merkle frontier
      // at this size: enough to go on from here without the entries before it.
      .addColumn('last_hash', 'text', (col) => col.notNull())
      .addColumn('frontier', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('audit_retention_cuts')
      // Entries 1..through_seq were archived and may be deleted; a checkpoint exists at this size.
      .addColumn('through_seq', bigint, (col) => col.primaryKey())
      .addColumn('cut_at', 'text', (col) => col.notNull())
      .addColumn('archived', bigint, (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('audit_subject_keys')
      .addColumn('subject_id', 'text', (col) => col.primaryKey())
      // AES-256-GCM key, base64; null once erased (GDPR): that subject's fields become unreadable.
      .addColumn('key_material', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('erased_at', 'text')
      .execute();

    await db.schema
      .createTable('data_archive')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('source', 'text', (col) => col.notNull())
      .addColumn('record_id', 'text', (col) => col.notNull())
      .addColumn('payload', 'text', (col) => col.notNull())
      .addColumn('archived_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('data_archive_record_idx')
      .on('data_archive')
      .columns(['source', 'record_id'])
      .execute();

    if (dialect === 'postgres') {
      await sql`
        create function audit_refuse_change() returns trigger language plpgsql as $$
        begin
          raise exception '% is append-only', tg_table_name using errcode = 'P0001';
        end $$`.execute(db);
      await sql`
        create function audit_delete_only_retained() returns trigger language plpgsql as $$
        begin
          if old.seq > (select coalesce(max(through_seq), 0) from audit_retention_cuts) then
            raise exception 'enterprise_audit_logs: entries are removed only by retention' using errcode = 'P0001';
          end if;
          return old;
        end $$`.execute(db);
      await sql`create trigger audit_logs_no_update before update on enterprise_audit_logs
        for each row execute function audit_refuse_change()`.execute(db);
      await sql`create trigger audit_logs_retention_delete before delete on enterprise_audit_logs
        for each row execute function audit_delete_only_retained()`.execute(db);
      for (const table of ['enterprise_audit_logs', 'audit_checkpoints', 'audit_retention_cuts']) {
        await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
          for each statement execute function audit_refuse_change()`.execute(db);
      }
      for (const table of ['audit_checkpoints', 'audit_retention_cuts']) {
        await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
          for each row execute function audit_refuse_change()`.execute(db);
      }
    } else {
      await sql`create trigger audit_logs_no_update before update on enterprise_audit_logs
        begin select raise(abort, 'enterprise_audit_logs is append-only'); end`.execute(db);
      await sql`create trigger audit_logs_retention_delete before delete on enterprise_audit_logs
        when old.seq > (select coalesce(max(through_seq), 0) from audit_retention_cuts)
        begin select raise(abort, 'enterprise_audit_logs: entries are removed only by retention'); end`.execute(
        db,
      );
      for (const table of ['audit_checkpoints', 'audit_retention_cuts']) {
        for (const op of ['update', 'delete']) {
          await sql`create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(table)}
            begin select raise(abort, ${sql.lit(`${table} is append-only`)}); end`.execute(db);
        }
      }
    }
  },
};
