import { describe, expect, it } from 'vitest';
import { failureStreakLog } from './failure-streak.ts';

describe('failureStreakLog', () => {
  it('logs the first failure of a streak, then once a minute, and the recovery once', () => {
    const lines: string[] = [];
    let clock = 0;
    const log = failureStreakLog(
      {
        warn: (fields, message) =>
          lines.push(`warn ${message} ${JSON.stringify({ ...fields, err: undefined })}`),
        info: (fields, message) => lines.push(`info ${message} ${JSON.stringify(fields)}`),
      },
      'IP lists refresh',
      { now: () => clock },
    );
    for (let i = 0; i < 45; i += 1) {
      log.failed(new Error('connection refused'));
      clock += 2_000;
    }
    log.succeeded();
    log.succeeded();
    expect(lines).toEqual([
      'warn IP lists refresh failed {"failures":1}',
      'warn IP lists refresh failed {"failures":31}',
      'info IP lists refresh works again {"failures":45}',
    ]);
  });
});
