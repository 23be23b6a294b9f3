import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, navigate } from '../../router.tsx';
import { createConnector, refreshConnectors } from './api.ts';
import { ConnectorForm, type ConnectorSubmit, emptyDraft } from './ConnectorForm.tsx';
import { connectorPath } from './ConnectorsView.tsx';

/** Adding a connector (admins); once saved, its page opens, where the connection can be tested. */
export function NewConnectorView() {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => emptyDraft('http'));
  const create = useMutation({
    mutationFn: ({ draft, settings }: ConnectorSubmit) =>
      createConnector({
        name: draft.name.trim(),
        kind: draft.kind,
        enabled: draft.enabled,
        settings,
        ...(draft.kind !== 'file_drop' && draft.secret !== '' ? { secret: draft.secret } : {}),
      }),
    onSuccess: (connector) => {
      refreshConnectors(queryClient);
      navigate(`${connectorPath(connector.id)}?created=1`);
    },
  });
  return (
    <section className="card" aria-labelledby="new-connector-heading">
      <Link to="/integrations" className="back-link">
        <span aria-hidden="true">←</span> Back to connectors
      </Link>
      <h2 id="new-connector-heading">New connector</h2>
      <ConnectorForm
        connector={null}
        draft={draft}
        onDraft={setDraft}
        mutation={create}
        done={null}
        label="Create connector"
        pendingLabel="Creating…"
      />
    </section>
  );
}
