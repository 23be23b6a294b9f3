import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import * as store from './audit.store.ts';
import { checkpointText, type SigningKey, verifierFor } from './checkpoint-signing.ts';
import { genesisHash, isGenesisHash } from './entry-hash.ts';
import { type LeafSource, leafHash, MerkleFrontier } from './merkle.ts';

/**
 * Signed checkpoints (RFC 6962 / RFC 9162 style): the Merkle tree head over the first
 * `tree_size` entries, signed with Ed25519. Entry n (seq) is leaf n-1; a leaf's data is the
 * entry's `hash` string. An auditor who keeps a checkpoint can later demand a consistency proof:
 * a rewritten or truncated log cannot produce one. Every checkpoint is also appended, as one JSON
 * line, to a file outside the database.
 */

export interface Checkpoint {
  tree_size: number;
  root_hash: string;
  timestamp: string;
  origin: string;
  key_id: string;
  signature: string;
  /** The exact signed text. */
  note: string;
}

export function leafOf(entryHash: string): Buffer {
  return leafHash(Buffer.from(entryHash, 'utf8'));
}

export function noteOf(
  row: Pick<store.CheckpointRow, 'origin' | 'tree_size' | 'root_hash' | 'timestamp'>,
): string {
  return checkpointText({
    origin: row.origin,
    treeSize: row.tree_size,
    rootHash: Buffer.from(row.root_hash, 'base64'),
    timestamp: row.timestamp,
  });
}

export function toCheckpoint(row: store.CheckpointRow): Checkpoint {
  return {
    tree_size: row.tree_size,
    root_hash: row.root_hash,
    timestamp: row.timestamp,
    origin: row.origin,
    key_id: row.key_id,
    signature: row.signature,
    note: noteOf(row),
  };
}

export interface Checkpointer {
  readonly publicKey: { key_id: string; algorithm: 'Ed25519'; public_key_pem: string };
  /**
   * Signs a checkpoint over the committed entries up to `through` (default: all). Returns the
   * checkpoint at that size (existing or new), or null while the log is empty.
   */
  checkpointNow(through?: number): Promise<store.CheckpointRow | null>;
  /** Told the newest seq after each append: checkpoints once enough entries piled up. */
  noteAppended(lastSeq: number): void;
  /** True when the signature is ours and matches the checkpoint's fields. */
  signatureValid(checkpoint: Pick<Checkpoint, 'key_id' | 'signature' | 'note'>): boolean;
  /** Leaves from the latest retention cut onward, up to treeSize: what proofs are built from. */
  leafSource(treeSize: number): Promise<LeafSource>;
  /** Checkpoints found in the outside file (unparseable lines are skipped and counted). */
  readFileCopies(): Promise<{ checkpoints: Checkpoint[]; unreadable: number }>;
  start(): void;
  stop(): Promise<void>;
}

export function createCheckpointer(deps: {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  key: SigningKey;
  origin: string;
  everyEntries: number;
  intervalMinutes: number;
  file: string;
}): Checkpointer {
  const { db, clock, logger, key, origin, everyEntries, intervalMinutes, file } = deps;
  const verifier = verifierFor(key.publicKeyPem);
  let lastSize = -1;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let pending = false;
  let latestSeen = 0;

  /**
   * Checkpoints once `everyEntries` entries piled up since the last one. Under a burst of writes
   * the checkpoint lags behind; when it is done, it looks again, so the burst's tail is covered too.
   */
  function kick(): void {
    if (pending || (lastSize >= 0 && latestSeen - lastSize < everyEntries)) return;
    pending = true;
    const before = lastSize;
    void (async () => {
      if (lastSize < 0) lastSize = Math.max(lastSize, (await store.latestCheckpoint(db))?.tree_size ?? 0);
      if (latestSeen - lastSize >= everyEntries) await catchUp();
    })()
      .catch((error: unknown) => logger.error({ err: error }, 'audit checkpoint failed'))
      .finally(() => {
        pending = false;
        if (lastSize > before) kick();
      });
  }

  /** Builds the frontier at `through` from the nearest checkpoint at or below it. */
  async function frontierAt(through: number): Promise<{ frontier: MerkleFrontier; lastHash: string }> {
    const base = await store.latestCheckpoint(db, through);
    const frontier = base ? MerkleFrontier.fromJSON(JSON.parse(base.frontier)) : MerkleFrontier.empty();
    let lastHash = base?.last_hash ?? genesisHash('sha256');
    let expected = frontier.size + 1;
    for await (const batch of store.entryBatches(
      db,
      ['hash', 'previous_hash'],
      { after: frontier.size, through },
      5000,
    )) {
      for (const entry of batch) {
        // Never sign over a damaged chain: that would bless the damage.
        if (entry.seq !== expected) throw new Error(`audit log has no entry ${expected}; not signing`);
        if (entry.previous_hash !== lastHash && !(expected === 1 && isGenesisHash(entry.previous_hash))) {
          throw new Error(`audit entry ${entry.seq} does not link to entry ${expected - 1}; not signing`);
        }
        frontier.append(leafOf(entry.hash));
        lastHash = entry.hash;
        expected += 1;
      }
    }
    if (frontier.size !== through) throw new Error(`audit log has ${frontier.size} entries, not ${through}`);
    return { frontier, lastHash };
  }

  async function writeFileCopy(checkpoint: Checkpoint): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.promises.open(file, 'a', 0o640);
    try {
      await handle.appendFile(`${JSON.stringify(checkpoint)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async function create(through: number | undefined): Promise<store.CheckpointRow | null> {
    const size = through ?? (await store.maxSeq(db));
    if (size <= 0) return null;
    const existing = await store.checkpointAt(db, size);
    if (existing) {
      lastSize = Math.max(lastSize, size);
      return existing;
    }
    const { frontier, lastHash } = await frontierAt(size);
    const timestamp = clock.now().toISOString();
    const unsigned = { tree_size: size, root_hash: frontier.root().toString('base64'), timestamp, origin };
    const row: store.CheckpointRow = {
      ...unsigned,
      key_id: key.keyId,
      signature: key.sign(noteOf(unsigned)),
      last_hash: lastHash,
      frontier: JSON.stringify(frontier.toJSON()),
    };
    if (await store.insertCheckpoint(db, row)) {
      await writeFileCopy(toCheckpoint(row));
      logger.info({ tree_size: size, key_id: key.keyId }, 'audit checkpoint signed');
    }
    lastSize = Math.max(lastSize, size);
    return (await store.checkpointAt(db, size)) ?? row;
  }

  /** One checkpoint at a time in this process. */
  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = running.then(work, work);
    running = next.catch(() => undefined);
    return next;
  }

  async function catchUp(): Promise<void> {
    try {
      await serialized(() => create(undefined));
    } catch (error) {
      logger.error({ err: error }, 'audit checkpoint failed');
    }
  }

  return {
    publicKey: { key_id: key.keyId, algorithm: 'Ed25519', public_key_pem: key.publicKeyPem },

    checkpointNow: (through) => serialized(() => create(through)),

    noteAppended(lastSeq) {
      latestSeen = Math.max(latestSeen, lastSeq);
      kick();
    },

    signatureValid(checkpoint) {
      return checkpoint.key_id === verifier.keyId && verifier.verify(checkpoint.note, checkpoint.signature);
    },

    async leafSource(treeSize) {
      const cut = await store.latestCut(db);
      const anchorSize = cut?.seq ?? 0;
      const anchorRow = anchorSize > 0 ? await store.checkpointAt(db, anchorSize) : undefined;
      const anchor = anchorRow
        ? MerkleFrontier.fromJSON(JSON.parse(anchorRow.frontier))
        : MerkleFrontier.empty();
      const leaves: Buffer[] = [];
      for await (const batch of store.entryBatches(
        db,
        ['hash'],
        { after: anchorSize, through: treeSize },
        5000,
      )) {
        for (const entry of batch) leaves.push(leafOf(entry.hash));
      }
      return { anchor, leaves };
    },

    async readFileCopies() {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], unreadable: 0 };
        throw error;
      }
      const checkpoints: Checkpoint[] = [];
      let unreadable = 0;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const parsed = JSON.parse(line) as Checkpoint;
          if (typeof parsed.tree_size !== 'number' || typeof parsed.note !== 'string')
            throw new Error('shape');
          checkpoints.push(parsed);
        } catch {
          unreadable += 1;
        }
      }
      return { checkpoints, unreadable };
    },

    start() {
      if (timer) return;
      timer = setInterval(() => void catchUp(), intervalMinutes * 60_000);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
