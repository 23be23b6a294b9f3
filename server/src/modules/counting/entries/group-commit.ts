/**
 * Group commit for single entries. Scanners post one entry at a time, and every entry of a
 * session takes the session's lock and ends in a durable commit (and an audit append), so
 * entries of one session are written one after another however many arrive together. Instead,
 * entries that arrive while their session's transaction is in flight wait, and the next
 * transaction takes all of them (up to `maxGroup`): one lock, one commit and one audit tail for
 * the lot, each entry still judged exactly as alone (ingest.ts) and answered separately.
 *
 * An entry never waits for a timer, only for one turn of the event loop, so a lone scan costs
 * what it did. Sessions are queued apart, so different sessions still write in parallel (PostgreSQL).
 */

export interface GroupCommit<J, R> {
  /** Resolves with this job's own result, or rejects with its own error. */
  submit(key: string, job: J): Promise<R>;
}

interface Waiting<J, R> {
  job: J;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export function createGroupCommit<J, R>(options: {
  /** Runs one group: one result per job, in order. If it throws, each job is run alone. */
  runGroup(jobs: J[]): Promise<R[]>;
  /** Runs one job by itself: its error is its own. */
  runAlone(job: J): Promise<R>;
  maxGroup: number;
}): GroupCommit<J, R> {
  const queues = new Map<string, Waiting<J, R>[]>();

  async function drain(key: string): Promise<void> {
    for (;;) {
      // One turn of the event loop lets the requests that were waiting (on SQLite, for the one
      // connection the last transaction held) reach the queue and join this group.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const queue = queues.get(key)!;
      if (queue.length === 0) {
        queues.delete(key);
        return;
      }
      const group = queue.splice(0, options.maxGroup);
      if (group.length === 1) {
        await settle(group[0]!, () => options.runAlone(group[0]!.job));
        continue;
      }
      let results: R[] | null = null;
      try {
        results = await options.runGroup(group.map((waiting) => waiting.job));
      } catch {
        // One job's trouble (a race on a client_id with another instance, say) must not fail the
        // others: the group is rolled back whole, and each job runs again on its own.
        results = null;
      }
      if (results) {
        for (const [index, waiting] of group.entries()) waiting.resolve(results[index]!);
        continue;
      }
      for (const waiting of group) await settle(waiting, () => options.runAlone(waiting.job));
    }
  }

  async function settle(waiting: Waiting<J, R>, run: () => Promise<R>): Promise<void> {
    try {
      waiting.resolve(await run());
    } catch (error) {
      waiting.reject(error);
    }
  }

  return {
    submit(key, job) {
      return new Promise<R>((resolve, reject) => {
        const queue = queues.get(key);
        if (queue) {
          queue.push({ job, resolve, reject });
          return;
        }
        queues.set(key, [{ job, resolve, reject }]);
        void drain(key);
      });
    },
  };
}
