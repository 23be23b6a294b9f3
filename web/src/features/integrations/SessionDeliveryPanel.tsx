import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../api/client.ts';
import { ErrorAlert } from '../../ui/forms.tsx';
import { getSessionDelivery, integrationsKeys } from './api.ts';
import { When } from './parts.tsx';
import './integrations.css';

/** While messages wait, the panel follows them this often. */
const POLL_MS = 10_000;

/**
 * A posted session's adjustments on their way to the ERP: how many are delivered, waiting or
 * failed, and the last error. Shown on the session's page to whoever may see the session.
 */
export function SessionDeliveryPanel({ sessionId }: { sessionId: string }) {
  const delivery = useQuery({
    queryKey: integrationsKeys.sessionDelivery(sessionId),
    queryFn: () => getSessionDelivery(sessionId),
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
    refetchInterval: (query) => {
      const data = query.state.data;
      return data && data.pending > 0 ? POLL_MS : false;
    },
  });
  // A server without delivery has nothing to show here.
  if (delivery.error instanceof ApiError && delivery.error.status === 404) return null;
  const data = delivery.data;
  let summary = '';
  if (data) {
    if (data.total === 0) summary = 'Nothing to deliver: the session has no adjustments.';
    else if (data.delivered === data.total)
      summary = `All ${data.total} adjustment${data.total === 1 ? '' : 's'} delivered to the ERP.`;
    else
      summary = `${data.delivered} of ${data.total} adjustment${data.total === 1 ? '' : 's'} delivered to the ERP.`;
  }
  return (
    <section className="card integrations-session-delivery" aria-labelledby="session-delivery-heading">
      <h2 id="session-delivery-heading">ERP delivery</h2>
      <ErrorAlert error={delivery.error} />
      {delivery.isPending && (
        <p className="muted" role="status">
          Loading the delivery status…
        </p>
      )}
      {data && (
        <>
          <p role="status" className={data.failed > 0 ? 'field-error' : undefined}>
            {summary}
          </p>
          {data.total > 0 && (
            <dl className="counts" aria-label="Delivery">
              <div className="count">
                <dt>Delivered</dt>
                <dd>{data.delivered}</dd>
              </div>
              <div className="count">
                <dt>Waiting</dt>
                <dd>{data.pending}</dd>
              </div>
              <div className={data.failed > 0 ? 'count count-bad' : 'count'}>
                <dt>Failed</dt>
                <dd>{data.failed}</dd>
              </div>
            </dl>
          )}
          {data.failed > 0 && (
            <p className="muted small">
              The ERP refused these or they ran out of attempts: an admin can send them again from
              Integrations, Delivery.
            </p>
          )}
          {(data.last_attempt_at || data.next_attempt_at || data.last_error) && (
            <dl className="details">
              {data.last_attempt_at && (
                <>
                  <dt>Last attempt</dt>
                  <dd>
                    <When iso={data.last_attempt_at} />
                  </dd>
                </>
              )}
              {data.next_attempt_at && data.pending > 0 && (
                <>
                  <dt>Next attempt</dt>
                  <dd>
                    <When iso={data.next_attempt_at} />
                  </dd>
                </>
              )}
              {data.last_error && (
                <>
                  <dt>Last error</dt>
                  <dd className="integrations-wrap">{data.last_error}</dd>
                </>
              )}
            </dl>
          )}
        </>
      )}
    </section>
  );
}
