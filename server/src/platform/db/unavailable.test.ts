import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors.ts';
import { createUnavailableReporter, isDatabaseUnavailable } from './unavailable.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01 admin_shutdown (pg_ctl stop -m fast)', withCode('57P01')],
    ['57P02 crash_shutdown', withCode('57P02')],
    ['57P03 cannot_connect_now (starting up)', withCode('57P03')],
    ['53300 too_many_connections', withCode('53300')],
    ['08006 connection_failure', withCode('08006')],
    ['08001 unable to connect', withCode('08001')],
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['a socket that ended mid-query', new Error('Connection terminated unexpectedly')],
    ['the pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['SQLite locked beyond busy_timeout', withCode('SQLITE_BUSY', 'database is locked')],
    ['SQLite busy snapshot', withCode('SQLITE_BUSY_SNAPSHOT')],
    [
      'both addresses of a host refusing',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
    ],
    ['a wrapped cause', new Error('query failed', { cause: withCode('57P01') })],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a serialization failure (retried, not a 503)', withCode('40001')],
    ['SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a plain error', new Error('boom')],
    ['an AppError', new AppError(409, 'CONFLICT', 'Connection terminated by the user')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops following a cycle of causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

describe('the unavailable reporter', () => {
  it('logs once per interval with the code only, counting what it left out', () => {
    let now = 0;
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const log = { warn: (fields: object, message: string) => lines.push({ fields: { ...fields }, message }) };
    const report = createUnavailableReporter(10_000, () => now);
    const error = withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432');
    for (let i = 0; i < 5; i++) report(log, error);
    now = 10_000;
    report(log, new Error('Connection terminated unexpectedly'));
    expect(lines).toEqual([
      {
        fields: { db_error_code: 'ECONNREFUSED', suppressed: 0 },
        message: 'database unavailable: answering 503',
      },
      {
        fields: { db_error_code: 'connection', suppressed: 4 },
        message: 'database unavailable: answering 503',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('10.1.2.3');
  });
});
