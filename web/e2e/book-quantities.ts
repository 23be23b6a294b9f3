import { SYSTEM_CONTEXT } from '../../server/src/modules/audit/events.ts';
import { createStockLevelsService } from '../../server/src/modules/stock-levels/stock-levels.service.ts';
import { systemIds } from '../../server/src/platform/ids.ts';
import type { TestApp } from '../../server/test/helpers/test-app.ts';

/** Sets the ERP's book quantities (whole units, no lot) the way an ERP sync would. */
export async function setBookQuantities(
  app: TestApp,
  rows: readonly [itemId: string, locationId: string, quantity: number][],
): Promise<void> {
  const stockLevels = createStockLevelsService({
    db: app.database.db,
    clock: app.clock,
    ids: systemIds,
    audit: app.audit.trail,
  });
  const asOf = app.clock.now().toISOString();
  await stockLevels.upsert(
    rows.map(([item_id, location_id, quantity]) => ({
      item_id,
      location_id,
      lot: null,
      quantity_e3: quantity * 1000,
      source: 'erp' as const,
      as_of: asOf,
    })),
    SYSTEM_CONTEXT,
  );
}
