import { type TSchema, Type } from 'typebox';
import { badRequest } from './errors.ts';

/**
 * Keyset pagination, shared by every list: a page is `{items, next_cursor}`; the cursor is the
 * sort key of the page's last row, opaque to clients (base64url of a JSON array). Never OFFSET:
 * page 1,000 costs what page 1 costs.
 */
export const LimitQuery = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size, 1 to 200' }),
);

export const CursorQuery = Type.Optional(
  Type.String({ minLength: 1, maxLength: 2000, description: 'next_cursor of the previous page' }),
);

export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass as `cursor` to get the next page; null on the last page',
});

export function pageSchema<T extends TSchema>(item: T, title: string) {
  return Type.Object({ items: Type.Array(item), next_cursor: NextCursor }, { title });
}

/** One page of a list, as every list endpoint answers it. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type CursorKey = readonly (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key in a cursor this API returned. `valid` checks its shape, so a forged or stale
 * cursor is a 400 naming `cursor`, never a query on garbage.
 */
export function decodeCursor<K extends CursorKey>(cursor: string, valid: (key: unknown[]) => boolean): K {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || !valid(key)) {
    throw badRequest('cursor is not valid: pass next_cursor of the previous page', [
      { field: 'cursor', message: 'is not a cursor this list returned' },
    ]);
  }
  return key as unknown as K;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says that another page exists.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => CursorKey,
): Page<Item> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
