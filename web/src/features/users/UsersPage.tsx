import { useState } from 'react';
import type { User } from '../../api/types.ts';
import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { NewUserPanel } from './NewUserPanel.tsx';
import { UserList } from './UserList.tsx';
import { UserPanel } from './UserPanel.tsx';

/** /users: the list; /users/new: the list with the new-user form; /users/{id}: with that user's panel. */
export function UsersPage({ user: me }: { user: User }) {
  const { pathname } = useLocation();
  const selected = decodeURIComponent(pathname.replace(/^\/users\/?/, '').split('/')[0] ?? '');
  // A one-off confirmation shown on the panel of a user just created.
  const [created, setCreated] = useState<string | null>(null);

  let panel = null;
  if (selected === 'new') panel = <NewUserPanel onCreated={(user) => setCreated(user.id)} />;
  else if (selected)
    panel = <UserPanel key={selected} id={selected} me={me} justCreated={created === selected} />;

  return (
    <Page
      title="Users"
      className={panel ? 'users has-panel' : 'users'}
      actions={
        <Link to="/users/new" className="button button-primary">
          New user
        </Link>
      }
    >
      <div className="split">
        <UserList selectedId={selected && selected !== 'new' ? selected : null} />
        {panel && <div className="split-panel">{panel}</div>}
      </div>
    </Page>
  );
}
