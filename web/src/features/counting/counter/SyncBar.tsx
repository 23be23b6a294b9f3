import { counterStore, syncNow, useLiveQuery, useOnline, useSyncStatus } from '../offline/counter-store.ts';

/**
 * What is still on this device: "3 waiting to sync", with a button to try now. Always visible on
 * the counter's screens, so nobody walks away from a count that never reached the server.
 */
export function SyncBar({ userId }: { userId: string }) {
  const { outbox } = counterStore();
  const pending = useLiveQuery(() => outbox.pendingCount(userId), userId);
  const online = useOnline();
  const { syncing, last } = useSyncStatus();

  if (pending === undefined) return null;
  const waiting = pending > 0;
  let detail = '';
  if (!online) detail = 'Offline: entries are kept on this device and sent when the connection is back.';
  else if (syncing) detail = 'Sending…';
  else if (waiting && last?.error) detail = `Not sent yet: ${last.error}`;

  return (
    <section
      className={waiting ? 'counter-sync counter-sync-waiting' : 'counter-sync'}
      aria-label="Sync"
      data-testid="sync-bar"
    >
      <p className="counter-sync-count" role="status">
        {waiting ? `${pending} waiting to sync` : 'All synced'}
      </p>
      {detail && <p className="counter-sync-detail small">{detail}</p>}
      {waiting && (
        <button
          type="button"
          className="button button-secondary counter-sync-button"
          onClick={() => void syncNow()}
          disabled={syncing}
        >
          Sync now
        </button>
      )}
    </section>
  );
}
