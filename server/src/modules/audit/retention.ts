import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { DbHandle } from '../../platform/db/database.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from './audit.service.ts';
import * as store from './audit.store.ts';
import { canonicalJson } from './canonical-json.ts';
import type { Checkpointer } from './checkpoints.ts';
import { AUDIT_COLUMNS } from './entry-hash.ts';
import { SYSTEM_CONTEXT } from './events.ts';

export interface RetentionResult {
  /** Entries 1..through_seq are gone from the live log (0: nothing ever removed). */
  through_seq: number;
  archived: number;
}

/**
 * AUDIT_RETENTION_DAYS: entries older than that are copied to `data_archive`, then removed.
 * What remains still verifies: a signed checkpoint is made at exactly the cut, and it keeps the
 * last removed hash and the Merkle frontier, so the chain and the tree go on from there. The
 * database triggers allow a DELETE only of entries that a recorded cut covers.
 */
export async function applyAuditRetention(deps: {
  database: DbHandle;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  trail: AuditTrail;
  checkpointer: Checkpointer;
  retentionDays: number;
}): Promise<RetentionResult> {
  const { database, clock, ids, logger, trail, checkpointer, retentionDays } = deps;
  const db = database.db;
  const now = clock.now();
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  const previousCut = (await store.latestCut(db))?.seq ?? 0;

  // Everything before the first entry that is still young enough (entries are in time order).
  const firstKept = await db
    .selectFrom('enterprise_audit_logs')
    .select('seq')
    .where('timestamp', '>=', cutoff)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  const through = firstKept ? firstKept.seq - 1 : await store.maxSeq(db);
  if (through <= previousCut) return { through_seq: previousCut, archived: 0 };

  // The anchor first: a signed checkpoint at exactly the cut.
  await checkpointer.checkpointNow(through);

  const archived = await trail.transaction(SYSTEM_CONTEXT, async (trx, record) => {
    await store.lockAppends(trx, database.dialect);
    // Another instance may have cut the log meanwhile: then there is nothing left to do.
    if (((await store.latestCut(trx))?.seq ?? 0) >= through) return 0;
    let count = 0;
    for await (const batch of store.entryBatches(trx, AUDIT_COLUMNS, { after: previousCut, through })) {
      await trx
        .insertInto('data_archive')
        .values(
          batch.map((row) => {
            const payload = canonicalJson(row);
            return {
              id: ids.uuid(),
              source: 'enterprise_audit_logs',
              record_id: row.event_id,
              payload,
              // As governance retention does: the archived text can be shown unaltered.
              hash: createHash('sha256').update(payload).digest('hex'),
              archived_at: now.toISOString(),
            };
          }),
        )
        .execute();
      count += batch.length;
    }
    await trx
      .insertInto('audit_retention_cuts')
      .values({ through_seq: through, cut_at: now.toISOString(), archived: count })
      .execute();
    await trx.deleteFrom('enterprise_audit_logs').where('seq', '<=', through).execute();
    record({
      type: 'DATA_DELETE',
      action: 'audit.retention',
      resource: { type: 'audit_log', id: null },
      details: { through_seq: through, archived: count, retention_days: retentionDays, cutoff },
    });
    return count;
  });
  logger.info({ through_seq: through, archived }, 'audit retention applied');
  return { through_seq: through, archived };
}
