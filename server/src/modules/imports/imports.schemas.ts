import { Type } from 'typebox';
import { CursorQuery, pageSchema } from '../../platform/http/pagination.ts';

const Kind = Type.Union([Type.Literal('items'), Type.Literal('stock_levels')], {
  description: 'items | stock_levels',
});
const Status = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')],
  { description: 'queued | running | succeeded | failed' },
);
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

const jobProperties = {
  id: Type.String(),
  kind: Kind,
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  filename: Type.String({ description: 'The uploaded file name, without any path' }),
  size_bytes: Type.Integer(),
  dry_run: Type.Boolean({ description: 'Checked and counted only; nothing written' }),
  status: Status,
  total: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Data rows in the file: known once every row has been checked (null before)',
  }),
  processed: Type.Integer({ description: 'Rows checked so far' }),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer({
    description: 'Rows rejected (all counted; the reasons of the first 10,000 are kept)',
  }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the job failed' }),
  ignored_columns: Type.Array(Type.String(), {
    description: 'Header columns that are not known, and so ignored',
  }),
  created_by: Type.String({ description: 'Id of the user who uploaded the file' }),
  created_at: Timestamp,
  started_at: NullableTimestamp,
  finished_at: NullableTimestamp,
};

export const ImportJobSchema = Type.Object(jobProperties, { title: 'ImportJob' });

export const ImportRowErrorSchema = Type.Object(
  {
    row: Type.Integer({ description: 'Row number as a spreadsheet shows it (the header is row 1)' }),
    column: Type.Union([Type.String(), Type.Null()], {
      description: 'The column as named in the file; null for the row as a whole',
    }),
    reason: Type.String(),
  },
  { title: 'ImportRowError' },
);

export const ImportJobDetailSchema = Type.Object(
  {
    ...jobProperties,
    errors: Type.Array(ImportRowErrorSchema, {
      description: 'The first 100 rejected-row entries, in row order',
    }),
    errors_total: Type.Integer({ description: 'Rejected-row entries stored (one per row and column)' }),
  },
  { title: 'ImportJobDetail' },
);

export const ImportJobPageSchema = pageSchema(ImportJobSchema, 'ImportJobPage');
export const ImportRowErrorPageSchema = pageSchema(ImportRowErrorSchema, 'ImportRowErrorPage');

/** Documents the multipart form; the handler reads it as a stream (it is not validated as JSON). */
export const UploadForm = Type.Object(
  {
    kind: Kind,
    dry_run: Type.Optional(
      Type.Boolean({ default: false, description: 'Check and count only, write nothing' }),
    ),
    delimiter: Type.Optional(
      Type.String({ description: 'CSV only: "," ";" or a tab; detected from the header line when absent' }),
    ),
    file: Type.String({
      format: 'binary',
      description:
        'CSV (UTF-8, BOM optional) or XLSX (first worksheet); the header is the first row. Send it last.',
    }),
  },
  { required: ['kind', 'file'] },
);

export const ImportIdParams = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const ListImportsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size, 1 to 200' }),
    ),
    cursor: CursorQuery,
    kind: Type.Optional(Kind),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

export const ListImportErrorsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Page size, 1 to 1000' }),
    ),
    cursor: CursorQuery,
  },
  { additionalProperties: false },
);
