import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/schema.ts';
import type { IdGenerator } from '../../platform/ids.ts';
import type { AuditTrail } from '../audit/audit.service.ts';
import type { ItemsService } from '../items/items.service.ts';

/** What the counting services are built from (app.ts wires them). */
export interface CountingDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  items: ItemsService;
  logger: Logger;
}
