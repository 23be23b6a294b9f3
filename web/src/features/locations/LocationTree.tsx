import type { Location, Warehouse } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert } from '../../ui/forms.tsx';
import { LoadMoreButton, usePagedList } from '../../ui/lists.tsx';
import { listChildren, locationsKeys, locationsUrl } from './api.ts';

interface TreeProps {
  warehouse: Warehouse;
  selectedId: string | null;
  expanded: ReadonlySet<string>;
  onToggle: (id: string) => void;
}

/** The warehouse's locations as an outline: each level is loaded when its parent is opened. */
export function LocationTree(props: TreeProps & { canEdit: boolean }) {
  const { warehouse, canEdit, ...tree } = props;
  return (
    <section className="list-pane card tree-card" aria-labelledby="tree-heading">
      <div className="tree-head">
        <h2 id="tree-heading">
          Locations in <span className="mono">{warehouse.code}</span>
        </h2>
        {canEdit && (
          <Link to={locationsUrl(warehouse.id, 'new')} className="button button-secondary">
            Add top-level location
          </Link>
        )}
      </div>
      <TreeLevel {...tree} warehouse={warehouse} parentId={null} />
    </section>
  );
}

function TreeLevel(props: TreeProps & { parentId: string | null }) {
  const { warehouse, parentId } = props;
  const { query: level, rows: nodes } = usePagedList({
    queryKey: locationsKeys.children(warehouse.id, parentId),
    fetchPage: (cursor) => listChildren(warehouse.id, parentId, cursor),
  });

  if (level.isPending) {
    return (
      <p className="tree-note muted" role="status">
        Loading…
      </p>
    );
  }
  return (
    <>
      <ErrorAlert error={level.error} />
      {nodes.length === 0 && !level.error ? (
        <p className="tree-note muted">{parentId ? 'Nothing inside.' : 'No locations yet.'}</p>
      ) : (
        <ul className="tree" aria-label={parentId ? undefined : `Locations in ${warehouse.code}`}>
          {nodes.map((node) => (
            <TreeNode key={node.id} {...props} node={node} />
          ))}
        </ul>
      )}
      <LoadMoreButton query={level} className="tree-more" />
    </>
  );
}

function TreeNode(props: TreeProps & { node: Location }) {
  const { node, selectedId, expanded, onToggle, warehouse } = props;
  const open = expanded.has(node.id);
  const selected = node.id === selectedId;
  return (
    <li>
      <div className={selected ? 'tree-row is-selected' : 'tree-row'}>
        <button
          type="button"
          className="tree-toggle"
          aria-expanded={open}
          aria-label={`Locations in ${node.code}`}
          onClick={() => onToggle(node.id)}
        >
          <span aria-hidden="true">{open ? '▾' : '▸'}</span>
        </button>
        <Link
          to={locationsUrl(warehouse.id, node.id)}
          className="tree-link"
          aria-current={selected ? 'true' : undefined}
        >
          <span className="mono tree-code">{node.code}</span>
          {node.name && node.name !== node.code && <span className="tree-name">{node.name}</span>}
        </Link>
        <span className="tree-meta">
          <span className="badge">{node.kind}</span>
          {node.barcode && <span className="mono small muted">{node.barcode}</span>}
          {!node.active && <span className="status status-inactive">Inactive</span>}
        </span>
      </div>
      {open && (
        <div className="tree-children">
          <TreeLevel {...props} parentId={node.id} />
        </div>
      )}
    </li>
  );
}
