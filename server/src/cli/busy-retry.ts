/**
 * SQLite allows one writer at a time across processes. The server's transactions start deferred
 * (`begin`): when the CLI, a second process, reads and then writes while the server commits in
 * between, SQLite refuses the write at once with SQLITE_BUSY ("database is locked") — the busy
 * timeout does not apply to that case. Such a transaction rolled back entirely, so running the
 * whole operation again is safe; this does, a few times, with growing pauses.
 */
export async function retryWhileBusy<T>(work: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isBusy(error)) throw error;
      const pause = Math.min(1000, 20 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    (error instanceof Error && /database is locked/.test(error.message))
  );
}
