import { Link } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';

export function NotFoundPage({ reason }: { reason: 'not-found' | 'forbidden' }) {
  return (
    <Page title={reason === 'forbidden' ? 'Not available to your role' : 'Page not found'}>
      <section className="card">
        <p>
          {reason === 'forbidden'
            ? 'Your role does not give access to this page. Ask an admin if you need it.'
            : 'There is nothing at this address.'}
        </p>
        <p>
          <Link to="/" className="button button-secondary">
            Go to Home
          </Link>
        </p>
      </section>
    </Page>
  );
}
