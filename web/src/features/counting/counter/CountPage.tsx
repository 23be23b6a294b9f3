import type { User } from '../../../api/types.ts';
import { useLocation } from '../../../router.tsx';
import { Page } from '../../../ui/Page.tsx';
import { NotFoundPage } from '../../layout/NotFoundPage.tsx';
import { AssignmentsView } from './AssignmentsView.tsx';
import { CountLocationView } from './CountLocationView.tsx';
import { SyncBar } from './SyncBar.tsx';
import './counter.css';

/** /count: my assignments; /count/{session_id}/{location_id}: counting one location. */
export function CountPage({ user }: { user: User }) {
  const { pathname, searchParams } = useLocation();
  const parts = pathname
    .replace(/^\/count\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);

  if (parts.length !== 0 && parts.length !== 2) return <NotFoundPage reason="not-found" />;
  const [sessionId, locationId] = parts;

  return (
    <Page title="Count" className="counter">
      <SyncBar userId={user.id} />
      {sessionId && locationId ? (
        <CountLocationView
          key={`${sessionId}/${locationId}`}
          user={user}
          sessionId={sessionId}
          locationId={locationId}
        />
      ) : (
        <AssignmentsView
          user={user}
          finished={searchParams.get('finished')}
          recounted={searchParams.get('recounted')}
        />
      )}
    </Page>
  );
}
