import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../../ui/forms.tsx';
import { BREAKER_STATE_LABELS, getCircuitBreakers, integrationsKeys } from './api.ts';
import { BreakerBadge, formatDuration, When } from './parts.tsx';

/** Read this often: a breaker opens or recovers on its own. */
const POLL_MS = 5_000;

/**
 * Every call to a peer (ERP source, delivery target) goes through a named circuit breaker: after
 * enough failures in a row it opens and calls are refused at once, until the recovery timeout lets
 * a few trial calls through (half-open).
 */
export function CircuitBreakersView() {
  const breakers = useQuery({
    queryKey: integrationsKeys.breakers,
    queryFn: getCircuitBreakers,
    refetchInterval: POLL_MS,
  });
  const data = breakers.data;
  return (
    <>
      <section
        className="card"
        aria-labelledby="breakers-heading"
        aria-busy={breakers.isFetching || undefined}
      >
        <h2 id="breakers-heading">Circuit breakers</h2>
        <p className="muted small">
          Closed: calls go through. Open: the peer failed repeatedly and calls are refused until the next
          attempt. Half-open: a few trial calls decide whether it closes again.
        </p>
        <ErrorAlert error={breakers.error} />
        {breakers.isPending ? (
          <p className="muted" role="status">
            Loading the circuit breakers…
          </p>
        ) : !data ? null : data.circuit_breakers.length === 0 ? (
          <p className="empty">No circuit breaker yet: one appears with the first call to an ERP peer.</p>
        ) : (
          <>
            <p className="integrations-summary" data-testid="breakers-summary">
              {data.summary.total} in all: {data.summary.closed} closed, {data.summary.open} open,{' '}
              {data.summary.half_open} half-open
            </p>
            <table className="table data-table integrations-table">
              <caption className="visually-hidden">Circuit breakers</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Failures in a row</th>
                  <th scope="col">Calls</th>
                  <th scope="col">Last failure</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {data.circuit_breakers.map((breaker) => (
                  <tr key={breaker.name}>
                    <th scope="row" data-label="Name" className="mono">
                      {breaker.name}
                    </th>
                    <td data-label="State">
                      <BreakerBadge state={breaker.state} />
                    </td>
                    <td data-label="Failures in a row">
                      {breaker.failure_count} of {breaker.options.failure_threshold}
                    </td>
                    <td data-label="Calls">
                      {breaker.totals.calls} calls · {breaker.totals.failures} failed ·{' '}
                      {breaker.totals.timeouts} timed out · {breaker.totals.rejections} refused
                    </td>
                    <td data-label="Last failure" className="integrations-wrap">
                      {breaker.last_failure ? (
                        <>
                          <When iso={breaker.last_failure.at} />
                          <span className="field-hint integrations-block">
                            {breaker.last_failure.message}
                          </span>
                        </>
                      ) : (
                        <span className="muted">None</span>
                      )}
                    </td>
                    <td data-label="Next attempt">
                      {breaker.state === 'open' ? (
                        <When iso={breaker.next_attempt_at} />
                      ) : (
                        <span className="muted">
                          —
                          <span className="visually-hidden">
                            {' '}
                            (recovery after {formatDuration(breaker.options.recovery_timeout_ms)})
                          </span>
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      {data && data.recent_transitions.length > 0 && (
        <section className="card" aria-labelledby="transitions-heading">
          <h2 id="transitions-heading">Recent changes of state</h2>
          <table className="table data-table integrations-table">
            <caption className="visually-hidden">Recent changes of state</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Breaker</th>
                <th scope="col">Change</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {data.recent_transitions.slice(0, 20).map((transition) => (
                <tr key={`${transition.name}-${transition.at}-${transition.to}`}>
                  <th scope="row" data-label="When">
                    <When iso={transition.at} />
                  </th>
                  <td data-label="Breaker" className="mono">
                    {transition.name}
                  </td>
                  <td data-label="Change">
                    {BREAKER_STATE_LABELS[transition.from]} → <BreakerBadge state={transition.to} />
                  </td>
                  <td data-label="Why" className="integrations-wrap">
                    {transition.reason.replaceAll('_', ' ')}
                    {transition.last_failure && (
                      <span className="field-hint integrations-block">{transition.last_failure.message}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
