import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert, StatusNote } from '../../ui/forms.tsx';
import { listLockedAccounts, refreshSecurity, securityKeys, unlockAccount } from './api.ts';
import { ShortTime } from './parts.tsx';

/** Accounts refused after too many failed sign-ins; an admin can lift a lockout early. */
export function LockedAccountsView() {
  const queryClient = useQueryClient();
  const locked = useQuery({
    queryKey: securityKeys.locked,
    queryFn: listLockedAccounts,
    // Lockouts end on their own: the list keeps up.
    refetchInterval: 60_000,
  });
  const [done, setDone] = useState<string | null>(null);
  const unlock = useMutation({
    mutationFn: unlockAccount,
    onSuccess: (result, username) => {
      setDone(
        result.unlocked
          ? `${username} unlocked: they can sign in again.`
          : `${username} was no longer locked. Their failed attempts were cleared.`,
      );
      refreshSecurity(queryClient);
    },
  });

  const rows = locked.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="locked-heading" aria-busy={locked.isFetching || undefined}>
      <h2 id="locked-heading">Locked accounts</h2>
      <p className="muted small">
        An account is locked after too many failed sign-ins in a row, and each lockout within a day of the
        last one lasts twice as long. Unlocking lets the user sign in again at once and clears their failed
        attempts.
      </p>
      {done && <StatusNote>{done}</StatusNote>}
      <ErrorAlert error={unlock.error ?? locked.error} />
      {locked.isPending ? (
        <p className="muted" role="status">
          Loading locked accounts…
        </p>
      ) : rows.length === 0 ? (
        locked.isSuccess && <p className="empty">No account is locked.</p>
      ) : (
        <table className="table data-table security-table">
          <caption className="visually-hidden">Locked accounts</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Locked until</th>
              <th scope="col" className="num">
                Failed attempts
              </th>
              <th scope="col" className="num">
                Lockouts, last 24 hours
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((account) => (
              <tr key={account.user_id}>
                <th scope="row" data-label="Username" className="mono">
                  {account.username}
                </th>
                <td data-label="Locked until">
                  <ShortTime iso={account.locked_until} />
                </td>
                <td data-label="Failed attempts" className="num">
                  {account.failed_count}
                </td>
                <td data-label="Lockouts, last 24 hours" className="num">
                  {account.lockouts_24h}
                </td>
                <td className="security-actions">
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    disabled={unlock.isPending}
                    aria-label={`Unlock ${account.username}`}
                    onClick={() => {
                      setDone(null);
                      unlock.mutate(account.username);
                    }}
                  >
                    {unlock.isPending && unlock.variables === account.username ? 'Unlocking…' : 'Unlock'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
