import { type QueryClient, useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, navigate } from '../router.tsx';
import { ErrorAlert } from './forms.tsx';

/** Where "Back to …" goes, and what it says after "Back to". */
export interface BackLink {
  to: string;
  label: string;
}

/** The top of a side panel: its heading (focused when the panel opens) and a way back to the list. */
function PanelHeader(props: { id: string; title: string; back: BackLink; children?: ReactNode }) {
  const { id, title, back, children } = props;
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <div className="panel-head">
      <Link to={back.to} className="back-link">
        <span aria-hidden="true">←</span> Back to {back.label}
      </Link>
      <h2 id={id} ref={headingRef} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </div>
  );
}

/** A side panel beside a list: a region named by its heading, with what goes under the heading. */
export function Panel(props: {
  headingId: string;
  title: string;
  back: BackLink;
  /** Under the heading, inside the panel's head (a subtitle, a breadcrumb). */
  head?: ReactNode;
  children?: ReactNode;
}) {
  const { headingId, title, back, head, children } = props;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <PanelHeader id={headingId} title={title} back={back}>
        {head}
      </PanelHeader>
      {children}
    </section>
  );
}

/** The panel of a record that is still loading, or could not be loaded (and why). */
export function UnavailablePanel(props: {
  headingId: string;
  /** What the record is, in lower case: "item". */
  noun: string;
  query: { isPending: boolean; error: unknown };
  back: BackLink;
}) {
  const { headingId, noun, query, back } = props;
  const title = query.isPending
    ? `Loading ${noun}…`
    : `${noun[0]?.toUpperCase()}${noun.slice(1)} not available`;
  return (
    <Panel headingId={headingId} title={title} back={back}>
      <ErrorAlert error={query.error} />
    </Panel>
  );
}

/** One part of a panel, named by its heading. */
export function PanelSection(props: { headingId: string; title: string; children: ReactNode }) {
  const { headingId, title, children } = props;
  return (
    <section className="panel-section" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      {children}
    </section>
  );
}

/**
 * Deactivate or reactivate a record, in one click: inactive records are kept for history. The
 * texts say what being active means for this kind of record.
 */
export function ActivationSection(props: {
  headingId: string;
  /** What the record is, in lower case: "item". */
  noun: string;
  active: boolean;
  activeText: string;
  inactiveText: string;
  update: { error: unknown; isPending: boolean; mutate: (changes: { active: boolean }) => void };
}) {
  const { headingId, noun, active, activeText, inactiveText, update } = props;
  return (
    <PanelSection headingId={headingId} title="Status">
      <p>{active ? activeText : inactiveText}</p>
      <ErrorAlert error={update.error} />
      <div>
        <button
          type="button"
          className={active ? 'button button-danger-outline' : 'button button-secondary'}
          disabled={update.isPending}
          onClick={() => update.mutate({ active: !active })}
        >
          {active ? `Deactivate ${noun}` : `Reactivate ${noun}`}
        </button>
      </div>
    </PanelSection>
  );
}

/**
 * Creating a record from its "New …" panel: once the server has it, it is kept in the cache, the
 * page is told (to confirm it), and the record's own panel opens.
 */
export function useCreate<Input, Created>(options: {
  create: (input: Input) => Promise<Created>;
  store: (queryClient: QueryClient, created: Created) => void;
  onCreated: (created: Created) => void;
  urlOf: (created: Created) => string;
}) {
  const { create, store, onCreated, urlOf } = options;
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: create,
    onSuccess: (created) => {
      store(queryClient, created);
      onCreated(created);
      navigate(urlOf(created));
    },
  });
}
