import { useState } from 'react';
import { canEditMasterData, type User } from '../../api/types.ts';
import { Link, useLocation } from '../../router.tsx';
import { Page } from '../../ui/Page.tsx';
import { ItemList } from './ItemList.tsx';
import { ItemPanel } from './ItemPanel.tsx';
import { NewItemPanel } from './NewItemPanel.tsx';

/** /items: the list; /items/new: with the new-item form; /items/{id}: with that item's panel. */
export function ItemsPage({ user }: { user: User }) {
  const { pathname } = useLocation();
  const selected = decodeURIComponent(pathname.replace(/^\/items\/?/, '').split('/')[0] ?? '');
  const canEdit = canEditMasterData(user.role);
  const [created, setCreated] = useState<string | null>(null);

  let panel = null;
  if (selected === 'new' && canEdit) panel = <NewItemPanel onCreated={(item) => setCreated(item.id)} />;
  else if (selected && selected !== 'new')
    panel = <ItemPanel key={selected} id={selected} canEdit={canEdit} justCreated={created === selected} />;

  return (
    <Page
      title="Items"
      className={panel ? 'has-panel' : undefined}
      actions={
        canEdit && (
          <Link to="/items/new" className="button button-primary">
            New item
          </Link>
        )
      }
    >
      <div className="split">
        <ItemList selectedId={selected && selected !== 'new' ? selected : null} />
        {panel && <div className="split-panel">{panel}</div>}
      </div>
    </Page>
  );
}
