import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import { isRedactedKey } from '../observability/redaction.ts';
import { catalogueColumns } from './catalogue.ts';
import { DATA_CLASSES, DATA_REGISTRY } from './data-registry.ts';

describe.each(dialects())('the data registry on %s', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ dialect });
  });
  afterAll(async () => {
    await app.close();
  });

  it('classifies every column of every table the migrations create, and nothing that is not there', async () => {
    const catalogue = await catalogueColumns(app.database.db, dialect);
    const unclassified: string[] = [];
    for (const [table, columns] of catalogue) {
      const entry = DATA_REGISTRY[table];
      for (const column of columns)
        if (!entry || !(column.name in entry.columns)) unclassified.push(`${table}.${column.name}`);
    }
    expect(unclassified, 'add these to server/src/platform/db/data-registry.ts').toEqual([]);
    const stale: string[] = [];
    for (const [table, entry] of Object.entries(DATA_REGISTRY))
      for (const column of Object.keys(entry.columns))
        if (!catalogue.get(table)?.some((each) => each.name === column)) stale.push(`${table}.${column}`);
    expect(stale, 'in the registry but not in the database').toEqual([]);
  });

  it('names real columns for subjects and ageing, and a purpose and a known class everywhere', () => {
    for (const [table, entry] of Object.entries(DATA_REGISTRY)) {
      expect(entry.purpose.length, table).toBeGreaterThan(5);
      for (const dataClass of Object.values(entry.columns)) expect(DATA_CLASSES).toContain(dataClass);
      for (const column of entry.subject_columns ?? []) expect(entry.columns, table).toHaveProperty(column);
      if (entry.retention) {
        expect(entry.columns, table).toHaveProperty(entry.retention.age_column);
        for (const column of entry.retention.id_columns) expect(entry.columns, table).toHaveProperty(column);
      }
    }
  });
});

describe('log redaction', () => {
  it('redacts every column the registry classifies personal or sensitive, and no operational one by accident', () => {
    for (const [table, entry] of Object.entries(DATA_REGISTRY))
      for (const [column, dataClass] of Object.entries(entry.columns))
        if (dataClass === 'PERSONAL' || dataClass === 'SENSITIVE')
          expect(isRedactedKey(column), `${table}.${column}`).toBe(true);
    for (const key of ['item_code', 'session_id', 'quantity_e3', 'status', 'connector'])
      expect(isRedactedKey(key)).toBe(false);
    // Secrets by the shape of their name, wherever they come from.
    for (const key of ['password', 'new_password', 'access_token', 'Authorization', 'subject_email', 'email'])
      expect(isRedactedKey(key), key).toBe(true);
  });
});
