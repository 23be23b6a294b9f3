/**
 * Logging for a background loop that keeps retrying (cache refreshes every few seconds): the first
 * failure of a streak is a WARN, then one WARN a minute with how many failed since, and the
 * recovery an INFO — an outage of the database is a handful of lines, not one every 2 seconds.
 */
export function failureStreakLog(
  logger: { warn(fields: object, message: string): void; info(fields: object, message: string): void },
  what: string,
  options: { everyMs?: number; now?: () => number } = {},
) {
  const everyMs = options.everyMs ?? 60_000;
  const now = options.now ?? Date.now;
  let failures = 0;
  let lastLogged = 0;
  return {
    failed(error: unknown): void {
      failures += 1;
      const at = now();
      if (failures === 1 || at - lastLogged >= everyMs) {
        lastLogged = at;
        logger.warn({ err: error, failures }, `${what} failed`);
      }
    },
    succeeded(): void {
      if (failures > 0) logger.info({ failures }, `${what} works again`);
      failures = 0;
    },
  };
}
