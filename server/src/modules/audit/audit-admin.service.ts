import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { DbHandle } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from './audit.service.ts';
import * as store from './audit.store.ts';
import { type AuditEntryView, type AuditFilter, findEntry, searchEntries } from './audit-reader.ts';
import { type Checkpoint, type Checkpointer, leafOf, toCheckpoint } from './checkpoints.ts';
import { buildComplianceReport, type ComplianceReport } from './compliance-report.ts';
import { consistencyProof, inclusionProof, rootAt, verifyInclusion } from './merkle.ts';
import { applyAuditRetention, type RetentionResult } from './retention.ts';
import { type IntegrityReport, verifyIntegrity } from './verify.ts';

/** What admins and auditors do with the trail: read, prove, verify, report. Nothing here edits it. */
export interface AuditAdmin {
  search(filter: AuditFilter): Promise<Page<AuditEntryView>>;
  entryWithProof(eventId: string): Promise<{ entry: AuditEntryView; proof: EntryProof | null }>;
  verify(options: { startDate?: string }): Promise<IntegrityReport>;
  complianceReport(days: number): Promise<ComplianceReport>;
  checkpoints(filter: { cursor?: string; limit: number }): Promise<Page<Checkpoint>>;
  inclusion(seq: number, treeSize?: number): Promise<InclusionProof>;
  consistency(first: number, second?: number): Promise<ConsistencyProof>;
  applyRetention(): Promise<RetentionResult>;
  /** Retention once at start and every 6 hours; checkpoints on their own schedule. */
  start(): void;
  stop(): Promise<void>;
}

export interface EntryProof {
  checkpoint: Checkpoint;
  leaf_index: number;
  leaf_hash: string;
  audit_path: string[];
  verified: boolean;
}

export interface InclusionProof {
  seq: number;
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  audit_path: string[];
  root_hash: string;
  checkpoint: Checkpoint | null;
}

export interface ConsistencyProof {
  first: number;
  second: number;
  first_root: string;
  second_root: string;
  proof: string[];
}

const b64 = (buffer: Buffer) => buffer.toString('base64');
const isSizeKey = (key: unknown[]) =>
  key.length === 1 && Number.isSafeInteger(key[0]) && (key[0] as number) > 0;
const RETENTION_EVERY_MS = 6 * 3_600_000;

export function createAuditAdmin(deps: {
  database: DbHandle;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  trail: AuditTrail;
  checkpointer: Checkpointer;
  retentionDays: number;
}): AuditAdmin {
  const { database, clock, logger, checkpointer } = deps;
  const db = database.db;
  let timer: NodeJS.Timeout | null = null;
  let retention: Promise<unknown> = Promise.resolve();

  /** The tree sizes proofs can speak about: from the retention cut to the newest entry. */
  async function provableRange(): Promise<{ from: number; to: number }> {
    return { from: (await store.latestCut(db))?.seq ?? 0, to: await store.maxSeq(db) };
  }

  function outOfRange(what: string, value: number, range: { from: number; to: number }): AppError {
    return new AppError(
      409,
      'NOT_PROVABLE',
      `${what} ${value} is outside the provable range ${range.from + 1}..${range.to}` +
        (range.from > 0 ? ` (entries 1..${range.from} were archived by retention)` : ''),
    );
  }

  async function buildInclusion(seq: number, treeSize: number) {
    const range = await provableRange();
    if (treeSize > range.to || treeSize <= range.from) throw outOfRange('tree_size', treeSize, range);
    if (seq > treeSize || seq <= range.from) throw outOfRange('seq', seq, { from: range.from, to: treeSize });
    const source = await checkpointer.leafSource(treeSize);
    const leaf = source.leaves[seq - 1 - source.anchor.size]!;
    return {
      leaf,
      path: inclusionProof(source, seq - 1, treeSize),
      root: rootAt(source, treeSize),
    };
  }

  const runRetention = () => {
    const next = retention.then(() =>
      applyAuditRetention({ ...deps, retentionDays: deps.retentionDays }).catch((error: unknown) => {
        logger.error({ err: error }, 'audit retention failed');
        throw error;
      }),
    );
    retention = next.catch(() => undefined);
    return next;
  };

  return {
    search: (filter) => searchEntries(db, filter),

    async entryWithProof(eventId) {
      const entry = await findEntry(db, eventId);
      if (!entry) throw notFound('Audit entry');
      const checkpointRow = await db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tree_size', '>=', entry.seq)
        .orderBy('tree_size', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!checkpointRow) return { entry, proof: null };
      const checkpoint = toCheckpoint(checkpointRow);
      const { leaf, path } = await buildInclusion(entry.seq, checkpoint.tree_size);
      const verified =
        checkpointer.signatureValid(checkpoint) &&
        leaf.equals(leafOf(entry.hash)) &&
        verifyInclusion(
          leaf,
          entry.seq - 1,
          checkpoint.tree_size,
          path,
          Buffer.from(checkpoint.root_hash, 'base64'),
        );
      return {
        entry,
        proof: {
          checkpoint,
          leaf_index: entry.seq - 1,
          leaf_hash: b64(leaf),
          audit_path: path.map(b64),
          verified,
        },
      };
    },

    verify: (options) => verifyIntegrity({ db, clock, checkpointer }, options),

    async complianceReport(days) {
      const integrity = await verifyIntegrity({ db, clock, checkpointer });
      const latest = await store.latestCheckpoint(db);
      return buildComplianceReport(db, {
        days,
        now: clock.now(),
        integrity,
        latestCheckpoint: latest ? toCheckpoint(latest) : null,
      });
    },

    async checkpoints({ cursor, limit }) {
      let query = db.selectFrom('audit_checkpoints').selectAll();
      if (cursor) query = query.where('tree_size', '<', decodeCursor<[number]>(cursor, isSizeKey)[0]);
      const rows = await query
        .orderBy('tree_size', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toCheckpoint, (row) => [row.tree_size]);
    },

    async inclusion(seq, treeSize) {
      const size = treeSize ?? (await store.latestCheckpoint(db))?.tree_size;
      if (size === undefined) throw new AppError(409, 'NO_CHECKPOINT', 'No signed checkpoint exists yet');
      const { leaf, path, root } = await buildInclusion(seq, size);
      const checkpoint = await store.checkpointAt(db, size);
      return {
        seq,
        leaf_index: seq - 1,
        tree_size: size,
        leaf_hash: b64(leaf),
        audit_path: path.map(b64),
        root_hash: b64(root),
        checkpoint: checkpoint ? toCheckpoint(checkpoint) : null,
      };
    },

    async consistency(first, second) {
      const range = await provableRange();
      const to = second ?? (await store.latestCheckpoint(db))?.tree_size ?? range.to;
      if (to > range.to || to <= range.from) throw outOfRange('second', to, range);
      if (first > to || first < range.from || first === 0) throw outOfRange('first', first, { ...range, to });
      const source = await checkpointer.leafSource(to);
      return {
        first,
        second: to,
        first_root: b64(rootAt(source, first)),
        second_root: b64(rootAt(source, to)),
        proof: consistencyProof(source, first, to).map(b64),
      };
    },

    applyRetention: () => runRetention() as Promise<RetentionResult>,

    start() {
      checkpointer.start();
      if (timer) return;
      void runRetention().catch(() => undefined);
      timer = setInterval(() => void runRetention().catch(() => undefined), RETENTION_EVERY_MS);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await retention;
      await checkpointer.stop();
    },
  };
}
