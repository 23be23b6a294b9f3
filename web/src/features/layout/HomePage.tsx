import { ROLE_LABELS, type User } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { navFor, ROLE_DESCRIPTIONS } from './nav.ts';

export function HomePage({ user }: { user: User }) {
  const sections = navFor(user.role).filter((item) => item.path !== '/');
  return (
    <Page title={`Welcome, ${user.display_name}`}>
      <section className="card">
        <p className="lead">
          You are signed in as <strong>{user.username}</strong> with the role{' '}
          <span className={`badge badge-${user.role}`}>{ROLE_LABELS[user.role]}</span>.
        </p>
        <p>{ROLE_DESCRIPTIONS[user.role]}</p>
      </section>
      <section className="card">
        <h2>What you can do here</h2>
        <ul className="link-list">
          {sections.map((item) => (
            <li key={item.path}>
              <Link to={item.path} className="link-list-item">
                <span className="link-list-title">{item.label}</span>
                <span className="link-list-summary">{item.summary}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
