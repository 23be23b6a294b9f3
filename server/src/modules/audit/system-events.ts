import type { Kysely } from 'kysely';
import type { Config } from '../../config.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { AuditTrail } from './audit.service.ts';
import { type JsonObject, type JsonValue, SYSTEM_CONTEXT } from './events.ts';

/** Config as the audit trail may show it: secrets left out, credentials in URLs masked. */
export function configSnapshot(config: Readonly<Config>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'adminPassword' || key === 'metricsToken') continue;
    if (typeof value === 'string' && /^[a-z]+:\/\//i.test(value)) {
      out[key] = value.replace(/\/\/([^@/]*)@/, '//***@');
    } else out[key] = value as JsonValue;
  }
  return out;
}

/**
 * At start: a MIGRATION entry when migrations ran, and a CONFIG_CHANGE entry when the effective
 * configuration differs from the one the last start recorded (with what changed).
 */
export async function recordStartup(
  db: Kysely<Database>,
  trail: AuditTrail,
  config: Readonly<Config>,
  appliedMigrations: readonly string[],
): Promise<void> {
  if (!trail.enabled) return;
  if (appliedMigrations.length > 0) {
    await trail.record(SYSTEM_CONTEXT, {
      type: 'MIGRATION',
      action: 'database.migrate',
      resource: { type: 'database', id: null },
      details: { applied: [...appliedMigrations] },
    });
  }
  const current = configSnapshot(config);
  const last = await db
    .selectFrom('enterprise_audit_logs')
    .select('details')
    .where('event_type', '=', 'CONFIG_CHANGE')
    .where('action', '=', 'config.startup')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const previous = last ? ((JSON.parse(last.details) as { config?: JsonObject }).config ?? {}) : null;
  const changed = Object.keys({ ...current, ...previous }).filter(
    (key) => JSON.stringify(current[key]) !== JSON.stringify(previous?.[key]),
  );
  if (previous && changed.length === 0) return;
  await trail.record(SYSTEM_CONTEXT, {
    type: 'CONFIG_CHANGE',
    action: 'config.startup',
    resource: { type: 'configuration', id: null },
    details: {
      first_start: previous === null,
      changed: previous === null ? [] : changed,
      previous:
        previous === null ? null : Object.fromEntries(changed.map((key) => [key, previous[key] ?? null])),
      config: current,
    },
  });
}
