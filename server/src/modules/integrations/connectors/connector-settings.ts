import fs from 'node:fs';
import path from 'node:path';
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { FieldError } from '../../../platform/http/errors.ts';
import type { ConnectorKind } from './erp-source.ts';
import { checkReadOnlySelect } from './read-only-sql.ts';

/**
 * A connector's settings: everything but its secret, per kind. They are checked here in full
 * (shape, then meaning: the SQL only reads, the URL is http(s), the directory can be read), and
 * stored as given, with defaults filled in.
 */

const describeColumn = 'a column name: letters, digits, _ and $ (as the query or table names it)';
const Column = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z_][A-Za-z0-9_$]*$',
  description: describeColumn,
});
const OptionalColumn = Type.Optional(Column);
const Table = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?$',
  description: 'a table or view, optionally schema.table',
});
const Query = Type.String({
  minLength: 1,
  maxLength: 20_000,
  description: 'one read-only SELECT; the connector adds the key condition, ORDER BY and LIMIT around it',
});

function sqlEntity<T extends TSchema>(columns: T) {
  return Type.Object(
    { query: Type.Optional(Query), table: Type.Optional(Table), columns },
    { additionalProperties: false },
  );
}

export const SqlItemsMapping = sqlEntity(
  Type.Object(
    {
      item_code: Column,
      name: Column,
      base_uom: OptionalColumn,
      category: OptionalColumn,
      unit_cost: OptionalColumn,
    },
    {
      additionalProperties: false,
      description: 'Our field → the source column; item_code is the keyset key',
    },
  ),
);
export const SqlBarcodesMapping = sqlEntity(
  Type.Object(
    { item_code: Column, barcode: Column, pack_qty: OptionalColumn },
    { additionalProperties: false },
  ),
);
export const SqlStockLevelsMapping = Type.Object(
  {
    query: Type.Optional(Query),
    table: Type.Optional(Table),
    columns: Type.Object(
      {
        item_code: Column,
        warehouse_code: OptionalColumn,
        location_code: Column,
        lot: OptionalColumn,
        quantity: Column,
      },
      { additionalProperties: false },
    ),
    key_columns: Type.Optional(
      Type.Array(Column, {
        minItems: 1,
        maxItems: 6,
        description:
          'Source columns that identify a row, NOT NULL (keyset order); default: the mapped item, warehouse, location and lot columns',
      }),
    ),
  },
  { additionalProperties: false },
);

const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\\[?[0-9A-Fa-f:.]+\\]?$',
  description: 'a host name or IP address (no URL, no credentials)',
});

const WarehouseCode = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'Our warehouse for stock rows that name none (a single-warehouse ERP)',
  }),
);

export const SqlSettings = Type.Object(
  {
    dialect: Type.Union([Type.Literal('postgres'), Type.Literal('mysql')], {
      description: 'postgres, or mysql for MySQL and MariaDB',
    }),
    host: Host,
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    database: Type.String({ minLength: 1, maxLength: 128 }),
    user: Type.String({ minLength: 1, maxLength: 128 }),
    ssl: Type.Optional(Type.Boolean({ description: 'TLS to the database (certificate verified)' })),
    query_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    warehouse_code: WarehouseCode,
    items: Type.Optional(SqlItemsMapping),
    barcodes: Type.Optional(SqlBarcodesMapping),
    stock_levels: Type.Optional(SqlStockLevelsMapping),
  },
  { additionalProperties: false, title: 'SqlConnectorSettings' },
);

const FieldPath = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$',
  description: 'a field of the JSON object, dotted for nested fields: price.cost',
});
const RowsField = Type.String({
  maxLength: 200,
  pattern: '^$|^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$',
  description: 'where the rows are in the answer: a dotted field, or empty when the answer is the array',
});
const ApiPath = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '^/[^\\s?#]*$',
  description: 'a path under base_url, starting with /',
});

export const HttpSettings = Type.Object(
  {
    base_url: Type.String({ minLength: 8, maxLength: 2000 }),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    warehouse_code: WarehouseCode,
    paging: Type.Optional(
      Type.Object(
        {
          mode: Type.Union([Type.Literal('page'), Type.Literal('token')], {
            description: 'page: ?page=N; token: ?cursor=<next token from the previous answer>',
          }),
          page_param: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          first_page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
          size_param: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          token_param: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          next_token_field: Type.Optional(FieldPath),
        },
        { additionalProperties: false },
      ),
    ),
    items: Type.Optional(
      Type.Object(
        {
          path: ApiPath,
          rows_field: Type.Optional(RowsField),
          lookup_param: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 64,
              pattern: '^[A-Za-z0-9_.-]+$',
              description:
                'Query parameter that filters items by barcode (GET <path>?<lookup_param>=<code>): enables the live refresh of an unknown barcode',
            }),
          ),
          fields: Type.Object(
            {
              item_code: FieldPath,
              name: FieldPath,
              base_uom: Type.Optional(FieldPath),
              category: Type.Optional(FieldPath),
              unit_cost: Type.Optional(FieldPath),
              barcodes: Type.Optional(
                Type.String({
                  ...FieldPath,
                  description: 'an array of codes, or of objects (see barcode_code)',
                }),
              ),
              barcode_code: Type.Optional(FieldPath),
              barcode_pack_qty: Type.Optional(FieldPath),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    stock_levels: Type.Optional(
      Type.Object(
        {
          path: ApiPath,
          rows_field: Type.Optional(RowsField),
          fields: Type.Object(
            {
              item_code: FieldPath,
              warehouse_code: Type.Optional(FieldPath),
              location_code: FieldPath,
              lot: Type.Optional(FieldPath),
              quantity: FieldPath,
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'HttpConnectorSettings' },
);

export const FileDropSettings = Type.Object(
  {
    directory: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'an absolute path the server can read',
    }),
    kind: Type.Union([Type.Literal('items'), Type.Literal('stock_levels')], {
      description: 'what the files hold, in the import format (README, Imports)',
    }),
  },
  { additionalProperties: false, title: 'FileDropConnectorSettings' },
);

export type SqlSettings = Static<typeof SqlSettings>;
export type HttpSettings = Static<typeof HttpSettings>;
export type FileDropSettings = Static<typeof FileDropSettings>;
export type ConnectorSettings = SqlSettings | HttpSettings | FileDropSettings;

const validators = {
  sql: Compile(SqlSettings),
  http: Compile(HttpSettings),
  file_drop: Compile(FileDropSettings),
};

function shapeErrors(kind: ConnectorKind, value: unknown): FieldError[] {
  const validator = validators[kind];
  if (validator.Check(value)) return [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of validator.Errors(value)) {
    const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    const base = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const extra = params.requiredProperties?.[0] ?? params.additionalProperties?.[0] ?? '';
    const field = ['settings', base, extra].filter((part) => part !== '').join('.');
    const message =
      error.keyword === 'required'
        ? 'is required'
        : error.keyword === 'additionalProperties'
          ? 'is not an allowed field'
          : error.keyword === 'pattern'
            ? `is not valid: ${(findSchema(kind, base) as { description?: string })?.description ?? 'wrong format'}`
            : error.message;
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message });
  }
  return errors;
}

function findSchema(kind: ConnectorKind, dotted: string): unknown {
  let schema: unknown = { sql: SqlSettings, http: HttpSettings, file_drop: FileDropSettings }[kind];
  for (const part of dotted.split('.')) {
    const node = schema as { properties?: Record<string, unknown>; items?: unknown };
    schema = node.properties?.[part] ?? node.items;
  }
  return schema;
}

function checkSql(settings: SqlSettings): FieldError[] {
  const errors: FieldError[] = [];
  const entities = ['items', 'barcodes', 'stock_levels'] as const;
  for (const entity of entities) {
    const mapping = settings[entity];
    if (!mapping) continue;
    const field = `settings.${entity}`;
    if ((mapping.query === undefined) === (mapping.table === undefined)) {
      errors.push({ field, message: 'must have either query (a SELECT) or table, not both' });
      continue;
    }
    if (mapping.query !== undefined) {
      const check = checkReadOnlySelect(mapping.query);
      if (!check.ok) errors.push({ field: `${field}.query`, message: check.reason });
    }
  }
  if (!settings.items && !settings.stock_levels)
    errors.push({ field: 'settings', message: 'must map items, stock_levels or both' });
  if (settings.barcodes && !settings.items)
    errors.push({ field: 'settings.barcodes', message: 'needs an items mapping too' });
  return errors;
}

function checkHttp(settings: HttpSettings): FieldError[] {
  const errors: FieldError[] = [];
  let url: URL | null = null;
  try {
    url = new URL(settings.base_url);
  } catch {
    errors.push({ field: 'settings.base_url', message: 'is not a URL' });
  }
  if (url) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      errors.push({ field: 'settings.base_url', message: 'must be an http:// or https:// URL' });
    if (url.username || url.password)
      errors.push({
        field: 'settings.base_url',
        message: 'must not hold credentials: put the token in secret',
      });
    if (url.search || url.hash)
      errors.push({ field: 'settings.base_url', message: 'must not have a query string or fragment' });
  }
  if (!settings.items && !settings.stock_levels)
    errors.push({ field: 'settings', message: 'must map items, stock_levels or both' });
  if (settings.paging?.mode === 'token' && !settings.paging.next_token_field)
    errors.push({
      field: 'settings.paging.next_token_field',
      message: 'is required with token paging: where the answer gives the next token',
    });
  return errors;
}

function checkFileDrop(settings: FileDropSettings): FieldError[] {
  const field = 'settings.directory';
  if (!path.isAbsolute(settings.directory)) return [{ field, message: 'must be an absolute path' }];
  try {
    if (!fs.statSync(settings.directory).isDirectory()) return [{ field, message: 'is not a directory' }];
    fs.accessSync(settings.directory, fs.constants.R_OK | fs.constants.X_OK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return [
      {
        field,
        message: code === 'ENOENT' ? 'does not exist' : 'cannot be read by the server (permission denied)',
      },
    ];
  }
  return [];
}

/** The settings, checked; or the field errors that say what is wrong. */
export function checkSettings(
  kind: ConnectorKind,
  value: unknown,
): { ok: true; settings: ConnectorSettings } | { ok: false; errors: FieldError[] } {
  const shape = shapeErrors(kind, value);
  if (shape.length > 0) return { ok: false, errors: shape };
  const errors =
    kind === 'sql'
      ? checkSql(value as SqlSettings)
      : kind === 'http'
        ? checkHttp(value as HttpSettings)
        : checkFileDrop(value as FileDropSettings);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings: value as ConnectorSettings };
}
