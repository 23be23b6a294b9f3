import type { Logger } from 'pino';

/**
 * A promise nobody awaited must not take the whole service down with every request in flight:
 * it is logged as an error and the process keeps serving.
 */
export function installProcessSafetyNet(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error(
      { err: reason instanceof Error ? reason : new Error(String(reason)) },
      'unhandled promise rejection',
    );
  });
}
