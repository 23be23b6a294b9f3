import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { ErrorAlert } from '../../../ui/forms.tsx';
import type { OutboxEntry } from '../offline/counter-db.ts';
import { counterStore, syncNow, useAfterSync, useLiveQuery } from '../offline/counter-store.ts';
import { type CountEntry, counterKeys, listMyEntries } from './api.ts';
import { conflictNote, quantityText } from './entry-format.ts';
import { SCAN_FIELD_ID } from './ScanPanel.tsx';

type RowState = 'synced' | 'pending' | 'conflict' | 'undoing';

interface Row {
  key: string;
  title: string;
  code: string | null;
  quantity: string;
  tracking: string | null;
  state: RowState;
  note: string | null;
  at: number;
  undo: () => void;
  dismiss?: () => void;
}

const STATE_LABELS: Record<RowState, string> = {
  synced: 'Synced',
  pending: 'Waiting to sync',
  conflict: 'Not accepted',
  undoing: 'Undo waiting to sync',
};

function trackingText(lot: string | null, serial: string | null): string | null {
  if (serial) return `Serial ${serial}`;
  if (lot) return `Lot ${lot}`;
  return null;
}

/**
 * This location's entries by this counter, newest first: the ones still on the device (waiting,
 * or refused with the server's reason) and the ones the server holds. Undo takes any of them back.
 */
export function EntryList(props: {
  userId: string;
  sessionId: string;
  locationId: string;
  recount?: boolean;
}) {
  const { userId, sessionId, locationId, recount = false } = props;
  const queryClient = useQueryClient();
  const { db, outbox } = counterStore();
  const queryKey = counterKeys.entries(sessionId, locationId);
  const server = useQuery({ queryKey, queryFn: () => listMyEntries(sessionId, locationId) });

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: counterKeys.entries(sessionId, locationId) });
  }, [queryClient, sessionId, locationId]);
  useAfterSync(refresh);

  const local = useLiveQuery(
    () =>
      db.outbox
        .where('[session_id+location_id]')
        .equals([sessionId, locationId])
        .filter((entry) => entry.user_id === userId && !entry.undone)
        .toArray(),
    `${userId}/${sessionId}/${locationId}`,
  );
  const voiding = useLiveQuery(
    async () => new Set(await db.voids.where('user_id').equals(userId).primaryKeys()),
    userId,
  );

  const rows: Row[] = [];
  const onDevice = new Set<string>();
  for (const entry of local ?? []) {
    onDevice.add(entry.client_id);
    rows.push(localRow(entry));
  }
  for (const entry of server.data?.items ?? []) {
    if (entry.voided || onDevice.has(entry.client_id)) continue;
    rows.push(serverRow(entry, voiding?.has(entry.id) === true));
  }
  rows.sort((a, b) => b.at - a.at);

  // After a tap on Undo or OK the next scan must land in the scan field again.
  const backToScan = () => document.getElementById(SCAN_FIELD_ID)?.focus();

  function localRow(entry: OutboxEntry): Row {
    const conflict = entry.state === 'conflict';
    return {
      key: entry.client_id,
      title: entry.item ? entry.item.name : `Unknown barcode ${entry.barcode ?? ''}`.trim(),
      code: entry.item ? entry.item.item_code : null,
      quantity: quantityText(entry.quantity, entry.item?.pack_qty ?? 1, entry.item?.base_uom ?? entry.uom),
      tracking: trackingText(entry.lot, entry.serial),
      state: conflict ? 'conflict' : 'pending',
      note: conflict ? conflictNote(entry.reason, entry.message, recount) : null,
      at: entry.queued_at,
      undo: () => {
        backToScan();
        void outbox.undo(entry.client_id).then(() => syncNow());
      },
      ...(conflict
        ? {
            dismiss: () => {
              backToScan();
              void outbox.dismiss(entry.client_id).then(refresh);
            },
          }
        : {}),
    };
  }

  function serverRow(entry: CountEntry, undoing: boolean): Row {
    return {
      key: entry.client_id,
      title: entry.item_name ?? `Unknown barcode ${entry.barcode ?? ''}`.trim(),
      code: entry.item_code,
      quantity: quantityText(entry.entered_quantity, entry.pack_qty, entry.uom),
      tracking: trackingText(entry.lot, entry.serial),
      state: undoing ? 'undoing' : 'synced',
      note: null,
      at: Date.parse(entry.counted_at),
      undo: () => {
        backToScan();
        void outbox
          .voidSynced({
            id: entry.id,
            client_id: entry.client_id,
            session_id: entry.session_id,
            location_id: entry.location_id,
            user_id: userId,
          })
          .then(() => syncNow());
      },
    };
  }

  return (
    <section className="card counter-entries" aria-labelledby="entries-title">
      <h2 id="entries-title">Counted here</h2>
      <ErrorAlert error={server.error} />
      {rows.length === 0 ? (
        <p className="empty" role="status">
          {server.isPending && local === undefined ? 'Loading…' : 'Nothing counted here yet.'}
        </p>
      ) : (
        <ul className="counter-entry-list" aria-label="Entries, newest first">
          {rows.map((row) => (
            <li key={row.key} className={`counter-entry counter-entry-${row.state}`}>
              <div className="counter-entry-main">
                <span className="counter-entry-title">
                  {row.title}
                  {row.code && <span className="muted small"> · {row.code}</span>}
                </span>
                <span className="counter-entry-qty">{row.quantity}</span>
                {row.tracking && <span className="small">{row.tracking}</span>}
                <span className="counter-entry-state small">{STATE_LABELS[row.state]}</span>
                {row.note && <span className="counter-entry-note small">{row.note}</span>}
              </div>
              <div className="counter-entry-actions">
                {row.state !== 'undoing' && (
                  <button type="button" className="button button-secondary" onClick={row.undo}>
                    Undo
                  </button>
                )}
                {row.dismiss && (
                  <button type="button" className="button button-secondary" onClick={row.dismiss}>
                    OK
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
