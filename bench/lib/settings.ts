/** Knobs read from the environment once, validated, with the defaults used for quoted figures. */
export interface Settings {
  /** Seconds of load per target before measuring (BENCH_WARMUP). */
  warmupSeconds: number;
  /** Seconds of each measured round (BENCH_DURATION). */
  durationSeconds: number;
  /** Measured rounds per target, alternating product and baseline (BENCH_ROUNDS). */
  rounds: number;
  /** Concurrent connections autocannon keeps open (BENCH_CONNECTIONS). */
  connections: number;
  /** Write a V8 CPU profile of the product to bench/results/profiles/ (BENCH_PROFILE=1). */
  profile: boolean;
  /** Keep each benchmark's temp dir (data, logs) even when it passed (BENCH_KEEP_TEMP=1). */
  keepTemp: boolean;
  /**
   * Product variables to set for an experiment (BENCH_PRODUCT_ENV="LOG_LEVEL=WARN,METRICS_ENABLED=false").
   * Empty for the figures we quote: the product runs with its defaults.
   */
  productEnv: Record<string, string>;
  /**
   * A PostgreSQL database the import and audit benchmarks may create schemas in (and drop them
   * after), as a superuser: import asks for a CHECKPOINT before each side (BENCH_PG_URL).
   */
  pgUrl: string;
}

export class SettingsError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new SettingsError(`${name} must be a whole number, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new SettingsError(`${name} must be between ${min} and ${max}, got ${parsed}`);
  }
  return parsed;
}

function assignments(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const value = env[name]?.trim() ?? '';
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(part);
    if (!match?.[1]) throw new SettingsError(`${name} must look like "NAME=value,NAME=value", got "${part}"`);
    out[match[1]] = match[2]?.trim() ?? '';
  }
  return out;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes(env[name]?.trim().toLowerCase() ?? '');
}

function pgUrl(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${name} must be a postgres:// URL, got "${value}"`);
  }
  if (!/^postgres(ql)?:$/.test(url.protocol) || url.search !== '') {
    throw new SettingsError(`${name} must be a postgres:// URL without parameters, got "${value}"`);
  }
  return value;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    warmupSeconds: int(env, 'BENCH_WARMUP', 3, 0, 60),
    durationSeconds: int(env, 'BENCH_DURATION', 8, 1, 120),
    rounds: int(env, 'BENCH_ROUNDS', 2, 1, 10),
    connections: int(env, 'BENCH_CONNECTIONS', 10, 1, 1000),
    profile: flag(env, 'BENCH_PROFILE'),
    keepTemp: flag(env, 'BENCH_KEEP_TEMP'),
    productEnv: assignments(env, 'BENCH_PRODUCT_ENV'),
    pgUrl: pgUrl(env, 'BENCH_PG_URL'),
  };
}
