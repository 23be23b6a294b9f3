import { Type } from 'typebox';
import { nullable, stringEnum } from '../../../platform/http/openapi.ts';
import { CONNECTOR_KINDS } from '../connectors/erp-source.ts';
import { SYNC_MODES } from './sync.store.ts';

const Counts = Type.Object(
  {
    read: Type.Integer({ description: 'Rows read from the ERP' }),
    inserted: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer({ description: 'Rows already as the ERP has them: not written' }),
    rejected: Type.Integer({ description: 'Rows that could not be taken (see rejects)' }),
  },
  { title: 'SyncCounts' },
);

export const SyncStatusResponse = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        connector_id: Type.String(),
        connector_name: Type.String(),
        kind: stringEnum(CONNECTOR_KINDS),
        enabled: Type.Boolean(),
        entities: Type.Array(
          Type.Object({
            entity: stringEnum(['items', 'stock_levels'] as const),
            mode: stringEnum(SYNC_MODES),
            in_progress: Type.Boolean({
              description: 'A pass started and has not reached the end (it resumes)',
            }),
            started_at: nullable(Type.String({ format: 'date-time' })),
            pass_counts: nullable(Counts),
            last_completed_at: nullable(Type.String({ format: 'date-time' })),
            last_counts: nullable(Counts),
            last_error: nullable(Type.String()),
            rejects: Type.Array(Type.Object({ at: Type.String(), reason: Type.String() }), {
              description: 'The first rows of the current or last pass that could not be taken',
            }),
          }),
        ),
      }),
    ),
  },
  { title: 'ErpSyncStatus' },
);
