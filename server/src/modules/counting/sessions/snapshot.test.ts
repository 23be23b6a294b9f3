import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../../audit/events.ts';
import { type CountingFixture, countingFixture } from './sessions-test-support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(dialects())('session snapshot on %s', (dialect) => {
  let app: TestApp;
  let f: CountingFixture;
  beforeEach(async () => {
    app = await createTestApp({ dialect });
    f = await countingFixture(app);
  });
  afterEach(async () => {
    await app.close();
  });

  const codes = () => {
    const names = new Map<string, string>([
      ...Object.entries(f.locations).map(([name, id]) => [id, name.toUpperCase()] as [string, string]),
      ...Object.entries(f.items).map(([name, id]) => [id, name.toUpperCase()] as [string, string]),
    ]);
    return (id: string) => names.get(id) ?? id;
  };

  async function snapshotOf(sessionId: string): Promise<string[]> {
    const name = codes();
    const rows = await app.database.db
      .selectFrom('count_snapshot')
      .selectAll()
      .where('session_id', '=', sessionId)
      .execute();
    return rows
      .map(
        (row) =>
          `${name(row.item_id)}@${name(row.location_id)}${row.lot ? `/${row.lot}` : ''} ${Number(row.book_qty_e3)} ${Number(row.unit_cost_e4)}`,
      )
      .sort();
  }

  async function started(fields: Record<string, unknown>): Promise<string> {
    const session = await f.createSession(fields);
    await f.drive(session.id, 'start');
    return session.id;
  }

  it('freezes book quantity and unit cost of every item-location and lot of the warehouse', async () => {
    const id = await started({});
    expect(await snapshotOf(id)).toEqual([
      'HAMMER@B1 10000 25000',
      'HAMMER@B2 5000 25000',
      'NAIL@B4 0 100',
      'RICE@B1/L1 3000 12500',
      'RICE@B1/L2 4000 12500',
      'SAW@B3 2000 100000',
      'SAW@B4 7000 100000',
    ]);
    const [entry] = await app.auditEntries('count_session.start');
    expect(entry!.details).toMatchObject({
      from: 'draft',
      to: 'counting',
      snapshot_size: 7,
      lines_created: 7,
    });
  });

  it('creates one open, uncounted line per snapshot row, with unique UUID-shaped ids', async () => {
    const id = await started({});
    const other = await started({});
    const lines = await app.database.db
      .selectFrom('count_lines')
      .selectAll()
      .where('session_id', '=', id)
      .execute();
    expect(lines).toHaveLength(7);
    const snapshot = await app.database.db
      .selectFrom('count_snapshot')
      .selectAll()
      .where('session_id', '=', id)
      .execute();
    for (const line of lines) {
      expect(line).toMatchObject({
        expected: 1,
        round: 1,
        counted_qty_e3: null,
        status: 'open',
        flags: '[]',
        reason_code: null,
      });
      expect(Number(line.entry_count)).toBe(0);
      expect(line.id).toMatch(UUID);
      const frozen = snapshot.find(
        (row) => row.location_id === line.location_id && row.item_id === line.item_id && row.lot === line.lot,
      );
      expect(Number(line.book_qty_e3)).toBe(Number(frozen!.book_qty_e3));
      expect(Number(line.unit_cost_e4)).toBe(Number(frozen!.unit_cost_e4));
    }
    const all = await app.database.db.selectFrom('count_lines').select('id').execute();
    expect(all).toHaveLength(14);
    expect(new Set(all.map((row) => row.id)).size).toBe(14);
    const otherLines = await app.database.db
      .selectFrom('count_lines')
      .select('id')
      .where('session_id', '=', other)
      .execute();
    expect(otherLines).toHaveLength(7);
  });

  it('narrows to location subtrees, categories and an item list, combined', async () => {
    expect(await snapshotOf(await started({ scope: { location_ids: [f.locations.a01] } }))).toEqual([
      'HAMMER@B1 10000 25000',
      'HAMMER@B2 5000 25000',
      'RICE@B1/L1 3000 12500',
      'RICE@B1/L2 4000 12500',
    ]);
    expect(
      await snapshotOf(await started({ scope: { location_ids: [f.locations.b2, f.locations.z2] } })),
    ).toEqual(['HAMMER@B2 5000 25000', 'NAIL@B4 0 100', 'SAW@B4 7000 100000']);
    expect(await snapshotOf(await started({ scope: { categories: ['food'] } }))).toEqual([
      'RICE@B1/L1 3000 12500',
      'RICE@B1/L2 4000 12500',
    ]);
    expect(await snapshotOf(await started({ scope: { item_ids: [f.items.saw, f.items.nail] } }))).toEqual([
      'NAIL@B4 0 100',
      'SAW@B3 2000 100000',
      'SAW@B4 7000 100000',
    ]);
    expect(
      await snapshotOf(
        await started({
          scope: { location_ids: [f.locations.z1], categories: ['tools'], item_ids: [f.items.saw] },
        }),
      ),
    ).toEqual(['SAW@B3 2000 100000']);
    expect(await snapshotOf(await started({ scope: { categories: ['nothing'] } }))).toEqual([]);
  });

  it('takes the tree as it is at start: a location moved into a subtree after planning is counted', async () => {
    const session = await f.createSession({ scope: { location_ids: [f.locations.a01] } });
    const moved = await f.call('PATCH', `/api/locations/${f.locations.b3}`, f.users.supervisor.token, {
      parent_id: f.locations.a01,
    });
    expect(moved.statusCode, moved.body).toBe(200);
    await f.drive(session.id, 'start');
    expect(await snapshotOf(session.id)).toContain('SAW@B3 2000 100000');
  });

  it('never changes afterwards, whatever happens to the book and the item master', async () => {
    const id = await started({});
    const before = await snapshotOf(id);
    app.clock.advance(60_000);
    await f.stockLevels.upsert(
      [
        { ...f.level(f.items.hammer, f.locations.b1, 1_000), as_of: app.clock.now().toISOString() },
        { ...f.level(f.items.saw, f.locations.b1, 3_000), as_of: app.clock.now().toISOString() },
      ],
      SYSTEM_CONTEXT,
    );
    const cost = await f.call('PATCH', `/api/items/${f.items.hammer}`, f.users.supervisor.token, {
      unit_cost: 99,
    });
    expect(cost.statusCode).toBe(200);
    expect(await snapshotOf(id)).toEqual(before);
    const line = await app.database.db
      .selectFrom('count_lines')
      .select(['book_qty_e3', 'unit_cost_e4'])
      .where('session_id', '=', id)
      .where('item_id', '=', f.items.hammer)
      .where('location_id', '=', f.locations.b1)
      .executeTakeFirstOrThrow();
    expect([Number(line.book_qty_e3), Number(line.unit_cost_e4)]).toEqual([10_000, 25_000]);
    // A session started now sees the new book.
    expect(await snapshotOf(await started({}))).toContain('HAMMER@B1 1000 990000');
  });
});
