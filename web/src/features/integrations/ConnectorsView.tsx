import { useQuery } from '@tanstack/react-query';
import { Link } from '../../router.tsx';
import { ErrorAlert } from '../../ui/forms.tsx';
import { integrationsKeys, KIND_LABELS, listConnectors } from './api.ts';
import { EnabledStatus, TestBadge, When } from './parts.tsx';

export const connectorPath = (id: string) => `/integrations/connectors/${encodeURIComponent(id)}`;

/** The ERP connectors, by name, with whether each is on and how its last test went. */
export function ConnectorsView({ canManage }: { canManage: boolean }) {
  const connectors = useQuery({ queryKey: integrationsKeys.connectors, queryFn: listConnectors });
  const rows = connectors.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="connectors-heading">
      <div className="integrations-head">
        <h2 id="connectors-heading">Connectors</h2>
        {canManage && (
          <Link to="/integrations/connectors/new" className="button button-primary">
            New connector
          </Link>
        )}
      </div>
      <p className="muted small">
        A connector is where the ERP's items and book quantities are read from: a SQL database (read-only), an
        HTTP JSON API, or a directory the ERP drops files into. Its password or token is stored sealed and is
        never shown again.
      </p>
      <ErrorAlert error={connectors.error} />
      {connectors.isPending ? (
        <p className="muted" role="status">
          Loading the connectors…
        </p>
      ) : rows.length === 0 ? (
        connectors.isSuccess && (
          <p className="empty">
            No connector yet.{canManage ? ' Add one with “New connector”.' : ' An admin adds them.'}
          </p>
        )
      ) : (
        <table className="table data-table integrations-table">
          <caption className="visually-hidden">Connectors</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Last test</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((connector) => (
              <tr key={connector.id}>
                <th scope="row" data-label="Name">
                  <Link to={connectorPath(connector.id)} className="row-link">
                    {connector.name}
                  </Link>
                </th>
                <td data-label="Kind">{KIND_LABELS[connector.kind]}</td>
                <td data-label="Status">
                  <EnabledStatus enabled={connector.enabled} />
                </td>
                <td data-label="Last test">
                  {connector.last_test ? (
                    <span className="integrations-last-test">
                      <TestBadge status={connector.last_test.status} />{' '}
                      <When iso={connector.last_test.tested_at} />
                      <span className="field-hint">{connector.last_test.message}</span>
                    </span>
                  ) : (
                    <span className="muted">Not tested</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
