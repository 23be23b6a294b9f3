import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { canEditMasterData, type User, type Warehouse } from '../../api/types.ts';
import { navigate, useLocation } from '../../router.tsx';
import { CODE_TEXT, ErrorAlert, FormFooter, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import { Page } from '../../ui/Page.tsx';
import { createWarehouse, listWarehouses, locationsKeys, locationsUrl } from './api.ts';
import { LocationPanel, NewLocationPanel } from './LocationPanel.tsx';
import { LocationTree } from './LocationTree.tsx';

/** /locations: pick a warehouse, browse its tree; a location or the new-location form opens beside it. */
export function LocationsPage({ user }: { user: User }) {
  const { pathname, searchParams } = useLocation();
  const sub = decodeURIComponent(pathname.replace(/^\/locations\/?/, '').split('/')[0] ?? '');
  const canEdit = canEditMasterData(user.role);
  const warehouses = useQuery({ queryKey: locationsKeys.warehouses, queryFn: listWarehouses });
  const all = warehouses.data?.items ?? [];
  const requested = searchParams.get('warehouse');
  const warehouse = all.find((entry) => entry.id === requested);
  // Opened nodes of the tree, kept while panels come and go.
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [created, setCreated] = useState<string | null>(null);

  // No warehouse in the address: show the first one.
  const first = all.find((entry) => entry.active) ?? all[0];
  useEffect(() => {
    if (!requested && first) navigate(locationsUrl(first.id), { replace: true });
  }, [requested, first]);

  const toggle = (id: string, open?: boolean) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (open ?? !next.has(id)) next.add(id);
      else next.delete(id);
      return next;
    });

  let panel = null;
  if (warehouse && sub === 'new' && canEdit) {
    const parentId = searchParams.get('parent');
    panel = (
      <NewLocationPanel
        key={parentId ?? 'root'}
        warehouse={warehouse}
        parentId={parentId}
        onCreated={(location) => {
          setCreated(location.id);
          if (location.parent_id) toggle(location.parent_id, true);
        }}
      />
    );
  } else if (warehouse && sub && sub !== 'new') {
    panel = (
      <LocationPanel
        key={sub}
        id={sub}
        warehouse={warehouse}
        canEdit={canEdit}
        justCreated={created === sub}
      />
    );
  }

  return (
    <Page title="Locations" className={panel ? 'has-panel' : undefined}>
      <WarehouseBar warehouses={all} current={warehouse} canEdit={canEdit} />
      <ErrorAlert error={warehouses.error} />
      {warehouses.isPending ? (
        <p className="muted" role="status">
          Loading warehouses…
        </p>
      ) : all.length === 0 ? (
        <p className="empty" role="status">
          No warehouses yet.{canEdit ? ' Create one to start building its locations.' : ''}
        </p>
      ) : !warehouse ? (
        requested && (
          <p className="empty" role="status">
            This warehouse does not exist. Pick another one above.
          </p>
        )
      ) : (
        <div className="split">
          <LocationTree
            warehouse={warehouse}
            selectedId={sub && sub !== 'new' ? sub : null}
            expanded={expanded}
            onToggle={toggle}
            canEdit={canEdit}
          />
          {panel && <div className="split-panel">{panel}</div>}
        </div>
      )}
    </Page>
  );
}

function WarehouseBar(props: { warehouses: Warehouse[]; current: Warehouse | undefined; canEdit: boolean }) {
  const { warehouses, current, canEdit } = props;
  const [creating, setCreating] = useState(false);
  return (
    <section className="filters warehouse-bar" aria-label="Warehouse">
      {warehouses.length > 0 && (
        <SelectField
          label="Warehouse"
          value={current?.id ?? ''}
          onChange={(event) => navigate(locationsUrl(event.target.value))}
        >
          {!current && <option value="">Choose a warehouse</option>}
          {warehouses.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.code} — {entry.name}
              {entry.active ? '' : ' (inactive)'}
            </option>
          ))}
        </SelectField>
      )}
      {canEdit &&
        (creating ? (
          <NewWarehouseForm onDone={() => setCreating(false)} />
        ) : (
          <div>
            <button type="button" className="button button-secondary" onClick={() => setCreating(true)}>
              New warehouse
            </button>
          </div>
        ))}
    </section>
  );
}

function NewWarehouseForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => createWarehouse({ code: code.trim(), name: name.trim() }),
    onSuccess: async (warehouse) => {
      await queryClient.invalidateQueries({ queryKey: locationsKeys.warehouses });
      onDone();
      navigate(locationsUrl(warehouse.id));
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form onSubmit={submit} className="subform" aria-label="New warehouse">
      <TextField
        label="Warehouse code"
        required
        {...CODE_TEXT}
        autoCapitalize="characters"
        maxLength={32}
        value={code}
        onChange={(event) => setCode(event.target.value)}
        error={fieldError(create.error, 'code')}
      />
      <TextField
        label="Warehouse name"
        required
        autoComplete="off"
        maxLength={120}
        value={name}
        onChange={(event) => setName(event.target.value)}
        error={fieldError(create.error, 'name')}
      />
      <FormFooter
        error={create.error}
        pending={create.isPending}
        label="Create warehouse"
        pendingLabel="Creating…"
      >
        <button type="button" className="button button-secondary" onClick={onDone}>
          Cancel
        </button>
      </FormFooter>
    </form>
  );
}
