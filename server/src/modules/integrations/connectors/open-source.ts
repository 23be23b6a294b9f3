import type { FileDropSettings, HttpSettings, SqlSettings } from './connector-settings.ts';
import type { ConnectorKind, ErpSource } from './erp-source.ts';
import { createFileDropSource } from './file-drop-source.ts';
import { createHttpSource, type HeaderSource } from './http-source.ts';
import { createSqlSource } from './sql-source.ts';

/** The driver for a connector's kind, with its settings and (opened) secret. */
export function openErpSource(
  kind: ConnectorKind,
  settings: unknown,
  secret: string | null,
  options: { headers?: HeaderSource } = {},
): ErpSource {
  switch (kind) {
    case 'sql':
      return createSqlSource(settings as SqlSettings, secret);
    case 'http':
      return createHttpSource(settings as HttpSettings, secret, options);
    case 'file_drop':
      return createFileDropSource(settings as FileDropSettings);
  }
}
