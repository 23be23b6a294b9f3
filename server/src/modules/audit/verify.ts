import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import * as store from './audit.store.ts';
import { type Checkpoint, type Checkpointer, leafOf, toCheckpoint } from './checkpoints.ts';
import { AUDIT_COLUMNS, type AuditRow, entryHash, isGenesisHash } from './entry-hash.ts';
import { MerkleFrontier } from './merkle.ts';

/** What kind of damage the verifier found first. */
export type DamageKind =
  /** A stored field no longer matches the entry's hash: edited in place. */
  | 'content_altered'
  /** Sequence numbers jump: entries were deleted. */
  | 'entry_missing'
  /** An entry that the next one skips over: inserted afterwards. */
  | 'entry_inserted'
  /** Neighbours link to each other the wrong way round: entries swapped. */
  | 'entries_reordered'
  /** An entry does not link to the one before it, otherwise unexplained. */
  | 'chain_broken'
  /** The log ends before the size a signed checkpoint covers: the tail was cut off. */
  | 'truncated'
  /** The entries no longer produce a signed root: rewritten, hashes recomputed. */
  | 'checkpoint_mismatch'
  /** A checkpoint whose signature is not ours or does not match. */
  | 'checkpoint_signature_invalid'
  /** A checkpoint in the outside file is missing from, or differs in, the database. */
  | 'checkpoint_missing';

export interface IntegrityReport {
  valid: boolean;
  /** Entries whose hash and link were recomputed. */
  checked: number;
  first_seq: number | null;
  last_seq: number | null;
  /** Signed roots compared with the root recomputed from the entries. */
  checkpoints_checked: number;
  first_bad: { seq: number | null; event_id: string | null; kind: DamageKind; message: string } | null;
  verified_at: string;
}

interface Problem {
  seq: number | null;
  event_id: string | null;
  kind: DamageKind;
  message: string;
}

/**
 * Streams through the log in seq order with bounded memory (one batch, the Merkle frontier and
 * the list of checkpoint sizes): each entry's hash is recomputed from its fields, its link to the
 * previous entry checked, and at every signed checkpoint the recomputed Merkle root must equal
 * the signed one — which catches a log rewritten with every hash recomputed, since nobody
 * without the signing key can sign the new root.
 */
export async function verifyIntegrity(
  deps: { db: Kysely<Database>; clock: Clock; checkpointer: Checkpointer },
  options: { startDate?: string } = {},
): Promise<IntegrityReport> {
  const { db, clock, checkpointer } = deps;
  const report = (
    problem: Problem | null,
    counts: Omit<IntegrityReport, 'valid' | 'first_bad' | 'verified_at'>,
  ) => ({
    valid: problem === null,
    ...counts,
    first_bad: problem,
    verified_at: clock.now().toISOString(),
  });

  // 1. The signed checkpoints, from the database and from the outside copy.
  const rows = await store.allCheckpoints(db);
  const trusted = new Map<number, Checkpoint>();
  const emptyCounts = { checked: 0, first_seq: null, last_seq: null, checkpoints_checked: 0 };
  for (const row of rows) {
    const checkpoint = toCheckpoint(row);
    if (!checkpointer.signatureValid(checkpoint)) {
      return report(
        {
          seq: null,
          event_id: null,
          kind: 'checkpoint_signature_invalid',
          message: `checkpoint at tree size ${row.tree_size} is not signed by this log's key ${checkpointer.publicKey.key_id}`,
        },
        emptyCounts,
      );
    }
    trusted.set(row.tree_size, checkpoint);
  }
  const copies = await checkpointer.readFileCopies();
  for (const copy of copies.checkpoints) {
    if (!checkpointer.signatureValid(copy)) continue; // not ours: proves nothing either way
    const inDb = trusted.get(copy.tree_size);
    if (!inDb || inDb.root_hash !== copy.root_hash) {
      return report(
        {
          seq: copy.tree_size,
          event_id: null,
          kind: 'checkpoint_missing',
          message: inDb
            ? `checkpoint at tree size ${copy.tree_size} differs from its outside copy: the log was forked`
            : `signed checkpoint at tree size ${copy.tree_size} is in the outside copy but not in the database`,
        },
        emptyCounts,
      );
    }
  }

  // 2. Where to start: the retention cut, or the last checkpoint before start_date.
  const cut = (await store.latestCut(db))?.seq ?? 0;
  let baseSize = cut;
  if (options.startDate) {
    const first = await db
      .selectFrom('enterprise_audit_logs')
      .select('seq')
      .where('timestamp', '>=', options.startDate)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const before = (first?.seq ?? Number.MAX_SAFE_INTEGER) - 1;
    for (const size of trusted.keys()) if (size <= before && size > baseSize) baseSize = size;
  }
  let frontier = MerkleFrontier.empty();
  let previousHash: string | null = null;
  if (baseSize > 0) {
    const base = rows.find((row) => row.tree_size === baseSize);
    if (!base) {
      return report(
        {
          seq: baseSize,
          event_id: null,
          kind: 'checkpoint_missing',
          message: `retention removed entries 1..${baseSize} but the checkpoint at that size is gone`,
        },
        emptyCounts,
      );
    }
    frontier = MerkleFrontier.fromJSON(JSON.parse(base.frontier));
    if (frontier.size !== baseSize || frontier.root().toString('base64') !== base.root_hash) {
      return report(
        {
          seq: baseSize,
          event_id: null,
          kind: 'checkpoint_mismatch',
          message: `the stored tree state at size ${baseSize} does not produce its signed root`,
        },
        emptyCounts,
      );
    }
    previousHash = base.last_hash;
  }
  const sizes = [...trusted.keys()].filter((size) => size > baseSize).sort((a, b) => a - b);
  let nextCheckpoint = 0;
  let lastGoodCheckpoint = baseSize;

  // 3. The stream.
  let checked = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let checkpointsChecked = 0;
  let expected = baseSize + 1;
  let previous: AuditRow | null = null;
  const counts = () => ({
    checked,
    first_seq: firstSeq,
    last_seq: lastSeq,
    checkpoints_checked: checkpointsChecked,
  });

  for await (const batch of store.entryBatches(db, AUDIT_COLUMNS, { after: baseSize })) {
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      firstSeq ??= entry.seq;
      const linked =
        previousHash === null ? isGenesisHash(entry.previous_hash) : entry.previous_hash === previousHash;
      if (entry.seq !== expected) {
        return report(
          {
            seq: expected,
            event_id: null,
            kind: 'entry_missing',
            message:
              entry.seq > expected
                ? `entries ${expected}..${entry.seq - 1} are missing`
                : `entry ${entry.seq} appears out of sequence`,
          },
          counts(),
        );
      }
      if (!linked) {
        const next = batch[i + 1] ?? (await nextEntry(db, entry.seq));
        if (previous && entry.previous_hash === previous.previous_hash) {
          return report(
            {
              seq: previous.seq,
              event_id: previous.event_id,
              kind: 'entry_inserted',
              message: `entry ${previous.seq} was inserted: entry ${entry.seq} links past it to entry ${previous.seq - 1}`,
            },
            counts(),
          );
        }
        if (next && entry.previous_hash === next.hash) {
          return report(
            {
              seq: entry.seq,
              event_id: entry.event_id,
              kind: 'entries_reordered',
              message: `entries ${entry.seq} and ${next.seq} are in each other's place`,
            },
            counts(),
          );
        }
        return report(
          {
            seq: entry.seq,
            event_id: entry.event_id,
            kind: 'chain_broken',
            message: `entry ${entry.seq} does not link to entry ${entry.seq - 1}`,
          },
          counts(),
        );
      }
      let recomputed: string | null;
      try {
        recomputed = entryHash(entry);
      } catch {
        recomputed = null;
      }
      if (recomputed !== entry.hash) {
        return report(
          {
            seq: entry.seq,
            event_id: entry.event_id,
            kind: 'content_altered',
            message: `entry ${entry.seq} does not match its hash: a stored field was changed`,
          },
          counts(),
        );
      }
      checked += 1;
      lastSeq = entry.seq;
      previousHash = entry.hash;
      previous = entry;
      expected += 1;
      frontier.append(leafOf(entry.hash));
      const size = sizes[nextCheckpoint];
      if (size !== undefined && frontier.size === size) {
        if (frontier.root().toString('base64') !== trusted.get(size)!.root_hash) {
          return report(
            {
              seq: size,
              event_id: null,
              kind: 'checkpoint_mismatch',
              message: `entries ${lastGoodCheckpoint + 1}..${size} no longer produce the root signed at tree size ${size}: the log was rewritten`,
            },
            counts(),
          );
        }
        checkpointsChecked += 1;
        lastGoodCheckpoint = size;
        nextCheckpoint += 1;
      }
    }
  }

  const largest = sizes[sizes.length - 1];
  if (largest !== undefined && (lastSeq ?? baseSize) < largest) {
    return report(
      {
        seq: (lastSeq ?? baseSize) + 1,
        event_id: null,
        kind: 'truncated',
        message: `the log ends at entry ${lastSeq ?? baseSize} but a signed checkpoint covers ${largest} entries`,
      },
      counts(),
    );
  }
  return report(null, counts());
}

async function nextEntry(db: Kysely<Database>, seq: number): Promise<AuditRow | undefined> {
  return db
    .selectFrom('enterprise_audit_logs')
    .selectAll()
    .where('seq', '>', seq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
}
