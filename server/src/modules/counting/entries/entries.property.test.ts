import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../../test/helpers/test-app.ts';
import { toDecimalString } from '../../../platform/decimal.ts';
import {
  clientId,
  createCountingSession,
  createMasterData,
  EAN_CASE,
  EAN_SINGLE,
  lineState,
  type MasterData,
} from './test-fixtures.ts';

/**
 * Order and repetition never matter: the same entries (and voids, and "count entire location"),
 * sent in any order, any number of times, one by one or in offline batches, leave the same lines
 * — and those lines are what the entries add up to.
 */

type What = 'single' | 'case' | 'flour' | 'stray' | 'laptop' | 'paint';

interface EntrySpec {
  location: 'A' | 'B';
  what: What;
  quantityE3: number;
  serial: string;
  lot: string;
  voided: boolean;
}

type Event = { kind: 'insert'; entry: number } | { kind: 'void'; entry: number } | { kind: 'complete' };

const entrySpec = fc.record({
  location: fc.constantFrom<'A' | 'B'>('A', 'B'),
  what: fc.constantFrom<What>('single', 'case', 'flour', 'stray', 'laptop', 'paint'),
  quantityE3: fc.integer({ min: 0, max: 50_000 }),
  serial: fc.constantFrom('S1', 'S2', 'S3'),
  lot: fc.constantFrom('L1', 'L2'),
  voided: fc.boolean(),
});

const scenario = fc
  .record({
    entries: fc.array(entrySpec, { minLength: 1, maxLength: 12 }),
    complete: fc.boolean(),
    repeats: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 12, maxLength: 12 }),
    seed: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    cuts: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    numberForm: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  })
  .map((s) => {
    // Events in a canonical order, and the same events shuffled with repeats.
    const canonical: Event[] = [
      ...s.entries.map((_, entry) => ({ kind: 'insert' as const, entry })),
      ...s.entries.flatMap((spec, entry) => (spec.voided ? [{ kind: 'void' as const, entry }] : [])),
      ...(s.complete ? [{ kind: 'complete' as const }] : []),
    ];
    const repeated: Event[] = [
      ...s.entries.flatMap((_, entry) =>
        Array.from({ length: s.repeats[entry]! }, () => ({ kind: 'insert' as const, entry })),
      ),
      ...s.entries.flatMap((spec, entry) =>
        spec.voided
          ? Array.from({ length: s.repeats[entry]! }, () => ({ kind: 'void' as const, entry }))
          : [],
      ),
      ...(s.complete ? [{ kind: 'complete' as const }, { kind: 'complete' as const }] : []),
    ];
    const keyed = repeated.map((event, index) => ({
      event,
      key: s.seed[index % s.seed.length]! * 64 + index,
    }));
    keyed.sort((a, b) => a.key - b.key);
    const shuffled = keyed.map((item) => item.event);
    // A void can only follow its entry: move any early void to just after the entry's first insert.
    for (let index = 0; index < shuffled.length; index += 1) {
      const event = shuffled[index]!;
      if (event.kind !== 'void') continue;
      const firstInsert = shuffled.findIndex(
        (other) => other.kind === 'insert' && other.entry === event.entry,
      );
      if (firstInsert > index) {
        shuffled.splice(index, 1);
        shuffled.splice(firstInsert, 0, event);
        index -= 1;
      }
    }
    return { ...s, canonical, shuffled };
  });

describe.each(dialects())('lines do not depend on order or repetition on %s', (dialect) => {
  let app: TestApp;
  let data: MasterData;
  let supervisor: { id: string; token: string };
  let staff: { id: string; token: string };

  beforeAll(async () => {
    // Hundreds of writes a minute from one user: more than the production rate limit allows.
    app = await createTestApp({ dialect, env: { RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
    data = await createMasterData(app);
    supervisor = await app.userWithToken('supervisor');
    staff = await app.userWithToken('staff');
  });
  afterAll(async () => {
    await app.close();
  });

  async function newSession(): Promise<string> {
    return createCountingSession(app, {
      warehouse: data.warehouse,
      createdBy: supervisor.id,
      snapshot: [
        { location_id: data.binA, item_id: data.widget, book_qty_e3: 7_000, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.flour, book_qty_e3: 1_500, unit_cost_e4: 33_333 },
        { location_id: data.binB, item_id: data.widget, book_qty_e3: 3_000, unit_cost_e4: 25_000 },
        { location_id: data.binA, item_id: data.paint, lot: 'L1', book_qty_e3: 2_000, unit_cost_e4: 100_000 },
        { location_id: data.binA, item_id: data.laptop, book_qty_e3: 1_000, unit_cost_e4: 9_999_900 },
      ],
      assignments: [
        { location_id: data.binA, user_id: staff.id },
        { location_id: data.binB, user_id: staff.id },
      ],
    });
  }

  function payload(spec: EntrySpec, client: string, asNumber: boolean): Record<string, unknown> {
    const quantityE3 =
      spec.what === 'laptop'
        ? 1000
        : spec.what === 'case'
          ? spec.quantityE3 - (spec.quantityE3 % 1000)
          : spec.quantityE3;
    const text = toDecimalString(quantityE3, 3);
    const base = {
      client_id: client,
      location_id: spec.location === 'A' ? data.binA : data.binB,
      // The same quantity written two ways is the same content.
      quantity: asNumber ? Number(text) : `${text}${text.includes('.') ? '0' : '.00'}`,
    };
    switch (spec.what) {
      case 'single':
        return { ...base, barcode: EAN_SINGLE };
      case 'case':
        return { ...base, barcode: EAN_CASE, quantity: quantityE3 / 1000 };
      case 'flour':
        return { ...base, item_id: data.flour };
      case 'stray':
        return { ...base, barcode: 'EXTRA-1' };
      case 'laptop':
        return { ...base, barcode: 'SER-1', serial: spec.serial, quantity: 1 };
      case 'paint':
        return { ...base, barcode: 'LOT-1', lot: spec.lot };
    }
  }

  /** Plays events; consecutive inserts go in one offline batch where `cuts` says so. */
  async function play(
    sessionId: string,
    specs: EntrySpec[],
    events: Event[],
    options: { cuts?: boolean[]; numberForm?: boolean[] } = {},
  ) {
    const clients = specs.map(() => clientId());
    const entryIds = new Map<number, string>();
    let batch: { index: number; body: Record<string, unknown> }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const response = await app.server.inject({
        method: 'POST',
        url: '/api/sync/batch',
        headers: bearer(staff.token),
        payload: { entries: batch.map((item) => ({ session_id: sessionId, ...item.body })) },
      });
      expect(response.statusCode, response.body).toBe(200);
      const results = response.json().results as { result: string; reason?: string; entry_id?: string }[];
      results.forEach((result, position) => {
        const index = batch[position]!.index;
        expect(['accepted', 'duplicate', 'conflict']).toContain(result.result);
        if (result.result === 'conflict') expect(result.reason).toBe('duplicate_serial');
        if (result.entry_id) entryIds.set(index, result.entry_id);
      });
      batch = [];
    };
    let step = 0;
    for (const event of events) {
      step += 1;
      const cut = options.cuts?.[step % 64] ?? true;
      const asNumber = options.numberForm?.[step % 64] ?? true;
      if (event.kind === 'insert') {
        const body = payload(specs[event.entry]!, clients[event.entry]!, asNumber);
        if (options.cuts) {
          batch.push({ index: event.entry, body });
          if (cut) await flush();
          continue;
        }
        const response = await app.server.inject({
          method: 'POST',
          url: `/api/count-sessions/${sessionId}/entries`,
          headers: bearer(staff.token),
          payload: body,
        });
        expect(response.statusCode, response.body).toBeLessThan(300);
        entryIds.set(event.entry, response.json().entry.id);
        continue;
      }
      await flush();
      if (event.kind === 'void') {
        const response = await app.server.inject({
          method: 'POST',
          url: `/api/count-entries/${entryIds.get(event.entry)}/void`,
          headers: bearer(staff.token),
          payload: { reason: 'test' },
        });
        // Voiding again is refused and changes nothing.
        expect([200, 409]).toContain(response.statusCode);
      } else {
        const response = await app.server.inject({
          method: 'POST',
          url: `/api/count-sessions/${sessionId}/locations/${data.binA}/complete`,
          headers: bearer(staff.token),
        });
        expect(response.statusCode, response.body).toBe(200);
      }
    }
    await flush();
  }

  it('same entries and voids, any order, any repetition, online or batched: same lines', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const first = await newSession();
        await play(first, s.entries, s.canonical);
        const second = await newSession();
        await play(second, s.entries, s.shuffled, { cuts: s.cuts, numberForm: s.numberForm });
        const expected = await lineState(app, first);
        expect(await lineState(app, second)).toEqual(expected);

        // And the lines are what the live entries add up to.
        const live = await app.database.db
          .selectFrom('count_entries')
          .select(['location_id', 'item_id', 'lot', 'quantity_e3'])
          .where('session_id', '=', first)
          .where('voided_at', 'is', null)
          .execute();
        for (const line of expected) {
          const mine = live.filter(
            (entry) =>
              entry.location_id === line.location_id &&
              entry.item_id === line.item_id &&
              entry.lot === line.lot,
          );
          const sum = mine.reduce((total, entry) => total + Number(entry.quantity_e3), 0);
          expect(line.entry_count).toBe(mine.length);
          if (mine.length > 0) expect(line.counted_qty_e3).toBe(sum);
          else expect(line.counted_qty_e3).toBe(s.complete && line.location_id === data.binA ? 0 : null);
        }
      }),
      { numRuns: dialect === 'sqlite' ? 30 : 15 },
    );
  });
});
