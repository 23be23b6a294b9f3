import { hash as oneShotHash } from 'node:crypto';

export const HASH_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** One stored audit entry: every column of enterprise_audit_logs. */
export interface AuditRow {
  seq: number;
  event_id: string;
  timestamp: string;
  category: string;
  event_type: string;
  severity: string;
  outcome: string;
  action: string;
  actor_user_id: string | null;
  actor_role: string | null;
  actor_subject: string | null;
  resource_type: string | null;
  resource_id: string | null;
  details: string;
  personal: string | null;
  request_id: string | null;
  trace_id: string | null;
  hash_algorithm: string;
  previous_hash: string;
  hash: string;
}

/** Every column of an entry, in table order. */
export const AUDIT_COLUMNS = [
  'seq',
  'event_id',
  'timestamp',
  'category',
  'event_type',
  'severity',
  'outcome',
  'action',
  'actor_user_id',
  'actor_role',
  'actor_subject',
  'resource_type',
  'resource_id',
  'details',
  'personal',
  'request_id',
  'trace_id',
  'hash_algorithm',
  'previous_hash',
  'hash',
] as const satisfies readonly (keyof AuditRow)[];

/** Every stored field except the hash itself, in RFC 8785 key order (UTF-16 code unit sort). */
const HASHED_FIELDS = AUDIT_COLUMNS.filter(
  (column): column is Exclude<(typeof AUDIT_COLUMNS)[number], 'hash'> => column !== 'hash',
).sort();

const KEY_PREFIXES = HASHED_FIELDS.map((key, index) => `${index === 0 ? '{' : ','}${JSON.stringify(key)}:`);

/**
 * The RFC 8785 canonical JSON of an entry without its hash. Equal to canonicalJson() of the same
 * object (a test holds them together), but built from a fixed key order: verification runs this
 * once per entry. Timestamps are stored as text with milliseconds, so both dialects give the
 * same bytes.
 */
export function canonicalEntry(row: Omit<AuditRow, 'hash'>): string {
  let out = '';
  for (let i = 0; i < HASHED_FIELDS.length; i++) {
    const value = row[HASHED_FIELDS[i]!];
    out += KEY_PREFIXES[i]!;
    if (value === null) out += 'null';
    else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new TypeError('audit seq must be a safe integer');
      out += String(value);
    } else out += JSON.stringify(value);
  }
  return `${out}}`;
}

export function isHashAlgorithm(value: string): value is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(value);
}

/** `<algorithm>:<hex>` over the entry's canonical JSON; throws on an algorithm we do not know. */
export function entryHash(row: Omit<AuditRow, 'hash'>): string {
  const algorithm = row.hash_algorithm;
  if (!isHashAlgorithm(algorithm)) throw new Error(`unknown audit hash algorithm "${algorithm}"`);
  return `${algorithm}:${oneShotHash(algorithm, canonicalEntry(row), 'hex')}`;
}

/** The previous_hash of entry 1. */
export function genesisHash(algorithm: HashAlgorithm): string {
  const hexLength = { sha256: 64, sha384: 96, sha512: 128 }[algorithm];
  return `${algorithm}:${'0'.repeat(hexLength)}`;
}

export function isGenesisHash(value: string): boolean {
  return HASH_ALGORITHMS.some((algorithm) => value === genesisHash(algorithm));
}
