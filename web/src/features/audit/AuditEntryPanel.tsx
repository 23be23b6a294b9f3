import { useQuery } from '@tanstack/react-query';
import type { AuditEntry, AuditProof } from '../../api/types.ts';
import { Panel, PanelSection, UnavailablePanel } from '../../ui/panels.tsx';
import { auditKeys, CATEGORY_LABELS, getAuditEntry } from './api.ts';
import { CheckpointDetails, Code, OutcomeStatus, SeverityBadge, Timestamp } from './parts.tsx';

export const AUDIT_BACK = { to: '/audit', label: 'audit log' };

/** One audit entry, every field of it, and the proof that a signed checkpoint covers it. */
export function AuditEntryPanel({ id }: { id: string }) {
  const query = useQuery({ queryKey: auditKeys.entry(id), queryFn: () => getAuditEntry(id) });

  if (!query.data) {
    return (
      <UnavailablePanel headingId="audit-entry-heading" noun="audit entry" query={query} back={AUDIT_BACK} />
    );
  }

  const { entry, proof } = query.data;
  return (
    <Panel
      headingId="audit-entry-heading"
      title={entry.event_type}
      back={AUDIT_BACK}
      head={
        <p className="panel-sub">
          <Timestamp iso={entry.timestamp} />
          <SeverityBadge severity={entry.severity} />
          <OutcomeStatus outcome={entry.outcome} />
        </p>
      }
    >
      <EventSection entry={entry} />
      <ActorSection entry={entry} />
      <PanelSection headingId="audit-details-heading" title="Details">
        {Object.keys(entry.details).length === 0 ? (
          <p className="muted">No details recorded.</p>
        ) : (
          <pre className="audit-pre">{JSON.stringify(entry.details, null, 2)}</pre>
        )}
      </PanelSection>
      <PersonalSection entry={entry} />
      <PanelSection headingId="audit-chain-heading" title="Hash chain">
        <dl className="details audit-details">
          <dt>Algorithm</dt>
          <dd>
            <Code>{entry.hash_algorithm}</Code>
          </dd>
          <dt>Hash</dt>
          <dd>
            <Code>{entry.hash}</Code>
          </dd>
          <dt>Previous hash</dt>
          <dd>
            <Code>{entry.previous_hash}</Code>
          </dd>
        </dl>
      </PanelSection>
      <ProofSection proof={proof} />
    </Panel>
  );
}

function EventSection({ entry }: { entry: AuditEntry }) {
  return (
    <PanelSection headingId="audit-event-heading" title="Event">
      <dl className="details audit-details">
        <dt>Event ID</dt>
        <dd>
          <Code>{entry.event_id}</Code>
        </dd>
        <dt>Sequence</dt>
        <dd>{entry.seq}</dd>
        <dt>Time</dt>
        <dd>
          <Code>{entry.timestamp}</Code>
        </dd>
        <dt>Category</dt>
        <dd>{CATEGORY_LABELS[entry.category] ?? entry.category}</dd>
        <dt>Event type</dt>
        <dd>
          <Code>{entry.event_type}</Code>
        </dd>
        <dt>Action</dt>
        <dd>
          <Code>{entry.action}</Code>
        </dd>
        <dt>Resource</dt>
        <dd>
          {entry.resource ? (
            <>
              {entry.resource.type} <Code>{entry.resource.id}</Code>
            </>
          ) : (
            <span className="muted">None</span>
          )}
        </dd>
        <dt>Request ID</dt>
        <dd>
          <Code>{entry.request_id}</Code>
        </dd>
        <dt>Trace ID</dt>
        <dd>
          <Code>{entry.trace_id}</Code>
        </dd>
      </dl>
    </PanelSection>
  );
}

function ActorSection({ entry }: { entry: AuditEntry }) {
  const { actor } = entry;
  const system = actor.user_id === null && actor.username === null;
  return (
    <PanelSection headingId="audit-actor-heading" title="Actor">
      {system && <p className="muted">The system itself: no user, no request.</p>}
      <dl className="details audit-details">
        <dt>Username</dt>
        <dd>
          <Code>{actor.username}</Code>
        </dd>
        <dt>User ID</dt>
        <dd>
          <Code>{actor.user_id}</Code>
        </dd>
        <dt>Role</dt>
        <dd>{actor.role ?? <span className="muted">—</span>}</dd>
        <dt>IP address</dt>
        <dd>
          <Code>{actor.ip_address}</Code>
        </dd>
      </dl>
    </PanelSection>
  );
}

/** Personal data, by the person it is about: readable, or erased for good once their key is gone. */
function PersonalSection({ entry }: { entry: AuditEntry }) {
  const subjects = Object.entries(entry.personal ?? {});
  return (
    <PanelSection headingId="audit-personal-heading" title="Personal data">
      {subjects.length === 0 ? (
        <p className="muted">No personal data recorded.</p>
      ) : (
        <dl className="audit-personal">
          {subjects.map(([subject, data]) => (
            <div key={subject}>
              <dt>
                Subject <Code>{subject}</Code>
              </dt>
              <dd>
                {data === null ? (
                  <p className="audit-erased">
                    <span className="badge">erased</span> Erased under GDPR: this person’s key was destroyed.
                  </p>
                ) : (
                  <pre className="audit-pre">{JSON.stringify(data, null, 2)}</pre>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </PanelSection>
  );
}

function ProofSection({ proof }: { proof: AuditProof | null }) {
  return (
    <PanelSection headingId="audit-proof-heading" title="Proof of inclusion">
      {proof === null ? (
        <p className="note">
          Not yet covered by a signed checkpoint. A checkpoint is signed after a number of new entries or a
          set time, whichever comes first.
        </p>
      ) : (
        <>
          {proof.verified ? (
            <p className="alert alert-success">
              Included in signed checkpoint #{proof.checkpoint.tree_size} — verified
            </p>
          ) : (
            <p className="alert alert-error" role="alert">
              Included in signed checkpoint #{proof.checkpoint.tree_size} — NOT verified: the audit path does
              not lead to the signed root.
            </p>
          )}
          <CheckpointDetails checkpoint={proof.checkpoint} />
          <dl className="details audit-details">
            <dt>Leaf index</dt>
            <dd>{proof.leaf_index}</dd>
            <dt>Leaf hash</dt>
            <dd>
              <Code>{proof.leaf_hash}</Code>
            </dd>
          </dl>
          <h4 id="audit-path-heading">Audit path ({proof.audit_path.length})</h4>
          {proof.audit_path.length === 0 ? (
            <p className="muted small">Empty: this entry is the only one the checkpoint covers.</p>
          ) : (
            <ol className="audit-path" aria-labelledby="audit-path-heading">
              {proof.audit_path.map((hash, index) => (
                // The same hash may appear twice on a path; its place is what identifies it.
                // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, never reordered
                <li key={index}>
                  <Code>{hash}</Code>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </PanelSection>
  );
}
