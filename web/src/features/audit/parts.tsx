import type {
  AuditCheckpoint,
  AuditEntry,
  AuditIntegrity,
  AuditOutcome,
  AuditSeverity,
} from '../../api/types.ts';
import { OUTCOME_LABELS, SEVERITY_LABELS } from './api.ts';

/** Audit times keep their seconds: the order of events is the point. */
export function formatTimestamp(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The same, short enough for a table cell. */
export function formatShortTimestamp(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** A point in time, readable, with the exact instant for machines (and on hover). */
export function Timestamp({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso}>
      {formatTimestamp(iso)}
    </time>
  );
}

export const entryPath = (eventId: string) => `/audit/entries/${encodeURIComponent(eventId)}`;

/** Who acted: their username, "system" for the process itself, "erased" once their data was erased. */
export function actorName(entry: Pick<AuditEntry, 'actor'>): string {
  const { user_id, username } = entry.actor;
  if (username) return username;
  return user_id ? 'erased' : 'system';
}

export function resourceText(resource: AuditEntry['resource']): string {
  if (!resource) return '—';
  return resource.id ? `${resource.type} ${resource.id}` : resource.type;
}

export function SeverityBadge({ severity }: { severity: AuditSeverity }) {
  return <span className={`badge severity-${severity}`}>{SEVERITY_LABELS[severity] ?? severity}</span>;
}

export function OutcomeStatus({ outcome }: { outcome: AuditOutcome }) {
  return <span className={`status outcome-${outcome}`}>{OUTCOME_LABELS[outcome] ?? outcome}</span>;
}

/** A value that is a hash, an id or other machine text: monospaced, wrapped anywhere. */
export function Code({ children }: { children: string | number | null | undefined }) {
  if (children === null || children === undefined || children === '') return <span className="muted">—</span>;
  return <span className="mono audit-code">{children}</span>;
}

/** The outcome of a chain and checkpoint check: valid or not, what was checked, and the first break. */
export function IntegrityResult({ result }: { result: AuditIntegrity }) {
  const { valid, first_bad } = result;
  return (
    <div className={valid ? 'integrity integrity-valid' : 'integrity integrity-invalid'}>
      <p className="integrity-verdict">
        <span className="integrity-mark" aria-hidden="true">
          {valid ? '✓' : '✕'}
        </span>
        <span>
          <strong>{valid ? 'Valid' : 'Invalid'}</strong>
          {valid
            ? ': every entry checked is intact and chained, and every signed checkpoint matches.'
            : ': the audit trail does not match its hashes or its signed checkpoints.'}
        </span>
      </p>
      {first_bad && (
        <div className="alert alert-error integrity-bad" role="alert">
          <p className="integrity-bad-title">
            <strong>First bad entry</strong>
          </p>
          <dl className="details">
            <dt>Sequence</dt>
            <dd>
              <Code>{first_bad.seq}</Code>
            </dd>
            <dt>Event ID</dt>
            <dd>
              <Code>{first_bad.event_id}</Code>
            </dd>
            <dt>Kind</dt>
            <dd>
              <Code>{first_bad.kind}</Code>
            </dd>
            <dt>Message</dt>
            <dd>{first_bad.message}</dd>
          </dl>
        </div>
      )}
      <dl className="counts" aria-label="Integrity check">
        <div className="count">
          <dt>Entries checked</dt>
          <dd>{result.checked}</dd>
        </div>
        <div className="count">
          <dt>Checkpoints checked</dt>
          <dd>{result.checkpoints_checked}</dd>
        </div>
        <div className="count">
          <dt>First sequence</dt>
          <dd>{result.first_seq ?? '—'}</dd>
        </div>
        <div className="count">
          <dt>Last sequence</dt>
          <dd>{result.last_seq ?? '—'}</dd>
        </div>
      </dl>
      <p className="muted small">
        Checked <Timestamp iso={result.verified_at} />.
      </p>
    </div>
  );
}

/** A signed checkpoint: how many entries it covers, when and by which key it was signed, its root. */
export function CheckpointDetails({ checkpoint }: { checkpoint: AuditCheckpoint }) {
  return (
    <>
      <dl className="details audit-details">
        <dt>Checkpoint</dt>
        <dd>#{checkpoint.tree_size}</dd>
        <dt>Entries covered</dt>
        <dd>{checkpoint.tree_size}</dd>
        <dt>Signed</dt>
        <dd>
          <Timestamp iso={checkpoint.timestamp} />
        </dd>
        <dt>Origin</dt>
        <dd>
          <Code>{checkpoint.origin}</Code>
        </dd>
        <dt>Key ID</dt>
        <dd>
          <Code>{checkpoint.key_id}</Code>
        </dd>
        <dt>Root hash</dt>
        <dd>
          <Code>{checkpoint.root_hash}</Code>
        </dd>
        <dt>Signature</dt>
        <dd>
          <Code>{checkpoint.signature}</Code>
        </dd>
      </dl>
      <details className="audit-note">
        <summary>Signed text</summary>
        <pre className="audit-pre">{checkpoint.note}</pre>
      </details>
    </>
  );
}
