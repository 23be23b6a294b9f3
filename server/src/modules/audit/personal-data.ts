import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';
import { canonicalJson } from './canonical-json.ts';
import type { JsonObject } from './events.ts';

/**
 * Personal data in audit entries is encrypted with AES-256-GCM under a key per data subject
 * (a user id, or a pseudonym for a username that matched no user). The entry's hash covers the
 * ciphertext, so erasing a subject's key (GDPR) makes the data unreadable and the chain still
 * verifies. The ciphertext is bound to its entry and subject (associated data), so it cannot be
 * moved to another entry.
 */

const VERSION = 'v1';

function associatedData(eventId: string, subject: string): Buffer {
  return Buffer.from(`${eventId}\n${subject}`, 'utf8');
}

export function sealPersonal(key: Buffer, eventId: string, subject: string, data: JsonObject): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(eventId, subject));
  const body = Buffer.concat([cipher.update(canonicalJson(data), 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The plaintext, or null when the ciphertext does not open with this key. */
export function openPersonal(
  key: Buffer,
  eventId: string,
  subject: string,
  sealed: string,
): JsonObject | null {
  if (!sealed.startsWith(`${VERSION}.`)) return null;
  const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
  if (raw.length < 12 + 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(associatedData(eventId, subject));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JsonObject;
  } catch {
    return null;
  }
}

export interface SubjectKeys {
  /**
   * The subject's key, created on first use, inside the caller's transaction (so a key never
   * outlives a rolled-back entry). Null when the subject was erased: nothing personal is kept.
   */
  keyFor(db: Kysely<Database>, subject: string, now: string): Promise<Buffer | null>;
  /** Keys of the given subjects that still exist (erased and unknown subjects are absent). */
  readable(db: Kysely<Database>, subjects: readonly string[]): Promise<Map<string, Buffer>>;
  /** GDPR erasure: the key is destroyed; entries under it stay and still verify. */
  erase(db: Kysely<Database>, subject: string, now: string): Promise<void>;
}

export const subjectKeys: SubjectKeys = {
  async keyFor(db, subject, now) {
    const found = await db
      .selectFrom('audit_subject_keys')
      .select(['key_material', 'erased_at'])
      .where('subject_id', '=', subject)
      .executeTakeFirst();
    if (found) return found.key_material ? Buffer.from(found.key_material, 'base64') : null;
    const key = randomBytes(32);
    await db
      .insertInto('audit_subject_keys')
      .values({ subject_id: subject, key_material: key.toString('base64'), created_at: now, erased_at: null })
      // Another process may have created it a moment ago: theirs wins, read it back.
      .onConflict((oc) => oc.column('subject_id').doNothing())
      .execute();
    const stored = await db
      .selectFrom('audit_subject_keys')
      .select('key_material')
      .where('subject_id', '=', subject)
      .executeTakeFirstOrThrow();
    return stored.key_material ? Buffer.from(stored.key_material, 'base64') : null;
  },

  async readable(db, subjects) {
    const out = new Map<string, Buffer>();
    if (subjects.length === 0) return out;
    const rows = await db
      .selectFrom('audit_subject_keys')
      .select(['subject_id', 'key_material'])
      .where('subject_id', 'in', [...new Set(subjects)])
      .execute();
    for (const row of rows)
      if (row.key_material) out.set(row.subject_id, Buffer.from(row.key_material, 'base64'));
    return out;
  },

  async erase(db, subject, now) {
    await db
      .insertInto('audit_subject_keys')
      .values({ subject_id: subject, key_material: null, created_at: now, erased_at: now })
      .onConflict((oc) => oc.column('subject_id').doUpdateSet({ key_material: null, erased_at: now }))
      .execute();
  },
};
