import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * For the tests that need a real Redis. In CI (CI=true) Redis is required: those suites run and fail
 * when it is unreachable. Elsewhere they are skipped, with the reason in the suite's title.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface RedisAvailability {
  /** Run the Redis suites (Redis answered, or CI requires it). */
  run: boolean;
  /** Why Redis could not be reached; undefined when it answered. */
  unreachable: string | undefined;
  /** Suffix for a suite title: empty, or the reason it is skipped. */
  titleNote: string;
}

export async function redisAvailability(): Promise<RedisAvailability> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let connectionError: Error | undefined;
  client.on('error', (error: Error) => {
    connectionError = error;
  });
  let unreachable: string | undefined;
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    unreachable = (connectionError ?? (error instanceof Error ? error : new Error(String(error)))).message;
  } finally {
    client.disconnect();
  }
  const required = process.env.CI === 'true';
  return {
    run: unreachable === undefined || required,
    unreachable,
    titleNote:
      unreachable === undefined || required
        ? ''
        : ` (skipped: no Redis at ${TEST_REDIS_URL}: ${unreachable}; required when CI=true)`,
  };
}

/** A key prefix no other test (or run) shares. */
export function uniquePrefix(): string {
  return `sv:rl:test:${Date.now().toString(36)}:${randomBytes(4).toString('hex')}:`;
}

/** A plain client for inspecting and cleaning up keys; fails fast when Redis is down. */
export function adminClient(): Redis {
  const client = new Redis(TEST_REDIS_URL, {
    maxRetriesPerRequest: 0,
    connectTimeout: 1500,
    commandTimeout: 2000,
    retryStrategy: () => 200,
  });
  client.on('error', () => {});
  return client;
}

export async function keysWithPrefix(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

export async function deleteWithPrefix(client: Redis, prefix: string): Promise<void> {
  const keys = await keysWithPrefix(client, prefix);
  if (keys.length > 0) await client.del(...keys);
}
