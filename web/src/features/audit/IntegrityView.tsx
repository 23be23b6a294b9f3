import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorAlert, FormFooter, TextField } from '../../ui/forms.tsx';
import { ListFooter, usePagedList } from '../../ui/lists.tsx';
import { auditKeys, listCheckpoints, verifyIntegrity } from './api.ts';
import { Code, IntegrityResult, Timestamp } from './parts.tsx';

/** Re-checks the hash chain and every signed checkpoint on demand; lists the checkpoints. */
export function IntegrityView() {
  return (
    <>
      <VerifySection />
      <CheckpointsSection />
    </>
  );
}

function VerifySection() {
  const [from, setFrom] = useState('');
  const verify = useMutation({ mutationFn: () => verifyIntegrity(from) });

  function submit(event: FormEvent) {
    event.preventDefault();
    verify.mutate();
  }

  return (
    <section className="card" aria-labelledby="verify-heading">
      <h2 id="verify-heading">Verify integrity</h2>
      <p>
        Recomputes the hash of every entry, checks that each one links to the entry before it, and checks
        every signed checkpoint against the entries it covers. Nothing is changed.
      </p>
      <form onSubmit={submit} className="audit-verify-form">
        <TextField
          label="From date (optional)"
          type="date"
          value={from}
          onChange={(event) => {
            setFrom(event.target.value);
            verify.reset();
          }}
          hint="Empty: the whole trail, from its first entry."
        />
        <FormFooter
          error={verify.error}
          pending={verify.isPending}
          label="Verify integrity"
          pendingLabel="Verifying…"
        />
      </form>
      <div aria-live="polite" className="audit-verify-result">
        {verify.data && <IntegrityResult result={verify.data} />}
      </div>
    </section>
  );
}

function CheckpointsSection() {
  const { query, rows } = usePagedList({
    queryKey: auditKeys.checkpoints,
    fetchPage: listCheckpoints,
  });

  return (
    <section className="card" aria-labelledby="checkpoints-heading">
      <h2 id="checkpoints-heading">Signed checkpoints</h2>
      <p className="muted small">
        Each checkpoint signs the Merkle root of the first entries up to its size with the key shown on the
        compliance report. Newest first.
      </p>
      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <p className="muted" role="status">
          Loading checkpoints…
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">No signed checkpoint yet.</p>
      ) : (
        <table className="table compact-table audit-checkpoints">
          <caption className="visually-hidden">Signed checkpoints</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">Signed</th>
              <th scope="col">Key ID</th>
              <th scope="col">Root hash</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((checkpoint) => (
              <tr key={checkpoint.tree_size}>
                <th scope="row" className="num">
                  {checkpoint.tree_size}
                </th>
                <td>
                  <Timestamp iso={checkpoint.timestamp} />
                </td>
                <td>
                  <Code>{checkpoint.key_id}</Code>
                </td>
                <td>
                  <Code>{checkpoint.root_hash}</Code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListFooter count={rows.length} noun={['checkpoint', 'checkpoints']} query={query} />
    </section>
  );
}
