import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Location, Warehouse } from '../../api/types.ts';
import { Link, navigate } from '../../router.tsx';
import { ErrorAlert, fieldError, StatusNote, TextField } from '../../ui/forms.tsx';
import { PanelHeader } from '../../ui/PanelHeader.tsx';
import {
  createLocation,
  getLocation,
  LOCATION_KINDS,
  type LocationChanges,
  locationsKeys,
  locationsUrl,
  type NewLocation,
  updateLocation,
} from './api.ts';

const KINDS_LIST_ID = 'location-kinds';

function KindOptions() {
  return (
    <datalist id={KINDS_LIST_ID}>
      {LOCATION_KINDS.map((kind) => (
        <option key={kind} value={kind} />
      ))}
    </datalist>
  );
}

/** The kind a child usually has: a zone holds aisles, an aisle racks… */
function childKind(parentKind: string | undefined): string {
  if (!parentKind) return LOCATION_KINDS[0];
  const index = LOCATION_KINDS.indexOf(parentKind as (typeof LOCATION_KINDS)[number]);
  return index >= 0 ? (LOCATION_KINDS[index + 1] ?? 'bin') : '';
}

/** Warehouse code, then each level's code down to this location (codes are unique in a warehouse). */
function Breadcrumb({ warehouse, codes }: { warehouse: Warehouse; codes: string[] }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>{warehouse.code}</li>
        {codes.map((code, index) => (
          <li key={code} aria-current={index === codes.length - 1 ? 'location' : undefined}>
            {code}
          </li>
        ))}
      </ol>
    </nav>
  );
}

const backTo = (warehouse: Warehouse) => ({ to: locationsUrl(warehouse.id), label: 'locations' });

export function LocationPanel(props: {
  id: string;
  warehouse: Warehouse;
  canEdit: boolean;
  justCreated: boolean;
}) {
  const { id, warehouse, canEdit, justCreated } = props;
  const location = useQuery({ queryKey: locationsKeys.detail(id), queryFn: () => getLocation(id) });

  if (!location.data) {
    return (
      <section className="panel" aria-labelledby="location-heading">
        <PanelHeader
          id="location-heading"
          title={location.isPending ? 'Loading location…' : 'Location not available'}
          back={backTo(warehouse)}
        />
        <ErrorAlert error={location.error} />
      </section>
    );
  }

  const data = location.data;
  return (
    <section className="panel" aria-labelledby="location-heading">
      <PanelHeader id="location-heading" title={data.name || data.code} back={backTo(warehouse)}>
        <Breadcrumb warehouse={warehouse} codes={data.path_codes} />
        <p className="panel-sub">
          <span className="mono">{data.code}</span>
          <span className="badge">{data.kind}</span>
          <span className={data.active ? 'status status-active' : 'status status-inactive'}>
            {data.active ? 'Active' : 'Inactive'}
          </span>
        </p>
      </PanelHeader>
      {justCreated && <StatusNote>Location {data.code} created.</StatusNote>}
      {canEdit ? (
        <>
          <div className="form-actions">
            <Link to={locationsUrl(warehouse.id, 'new', data.id)} className="button button-primary">
              Add location inside
            </Link>
          </div>
          <EditLocation location={data} />
          <LocationStatus location={data} />
        </>
      ) : (
        <dl className="details">
          <dt>Name</dt>
          <dd>{data.name || '—'}</dd>
          <dt>Kind</dt>
          <dd>{data.kind}</dd>
          <dt>Barcode</dt>
          <dd className="mono">{data.barcode ?? '—'}</dd>
        </dl>
      )}
    </section>
  );
}

function useLocationUpdate(location: Location, onSuccess?: () => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: LocationChanges) => updateLocation(location.id, changes),
    onSuccess: (updated) => {
      queryClient.setQueryData(locationsKeys.detail(updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: ['locations', 'children'] });
      onSuccess?.();
    },
  });
}

function EditLocation({ location }: { location: Location }) {
  const [edited, setEdited] = useState<{ name: string; kind: string; barcode: string } | null>(null);
  const form = edited ?? { name: location.name, kind: location.kind, barcode: location.barcode ?? '' };
  const update = useLocationUpdate(location, () => setEdited(null));

  const changes: LocationChanges = {};
  if (form.name.trim() !== location.name) changes.name = form.name.trim();
  if (form.kind.trim() !== location.kind) changes.kind = form.kind.trim();
  if ((form.barcode.trim() || null) !== location.barcode) changes.barcode = form.barcode.trim() || null;
  const dirty = Object.keys(changes).length > 0;
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => {
    setEdited({ ...form, [key]: event.target.value });
    update.reset();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (dirty) update.mutate(changes);
  }

  return (
    <section className="panel-section" aria-labelledby="edit-location-heading">
      <h3 id="edit-location-heading">Details</h3>
      <form onSubmit={submit}>
        <TextField
          label="Name"
          autoComplete="off"
          maxLength={120}
          value={form.name}
          onChange={set('name')}
          error={fieldError(update.error, 'name')}
        />
        <TextField
          label="Kind"
          required
          autoComplete="off"
          list={KINDS_LIST_ID}
          maxLength={32}
          value={form.kind}
          onChange={set('kind')}
          error={fieldError(update.error, 'kind')}
        />
        <KindOptions />
        <TextField
          label="Barcode"
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={64}
          value={form.barcode}
          onChange={set('barcode')}
          hint="The label on the shelf, if it has one. Leave empty to remove."
          error={fieldError(update.error, 'barcode')}
        />
        <ErrorAlert error={update.error} />
        {update.isSuccess && !dirty && <StatusNote>Changes saved.</StatusNote>}
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={!dirty || update.isPending}>
            {update.isPending ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </section>
  );
}

function LocationStatus({ location }: { location: Location }) {
  const update = useLocationUpdate(location);
  return (
    <section className="panel-section" aria-labelledby="location-status-heading">
      <h3 id="location-status-heading">Status</h3>
      <p>
        {location.active
          ? 'Active: stock can be counted here.'
          : 'Inactive: kept for history, not offered for counting.'}
      </p>
      <ErrorAlert error={update.error} />
      <div>
        <button
          type="button"
          className={location.active ? 'button button-danger-outline' : 'button button-secondary'}
          disabled={update.isPending}
          onClick={() => update.mutate({ active: !location.active })}
        >
          {location.active ? 'Deactivate location' : 'Reactivate location'}
        </button>
      </div>
    </section>
  );
}

/** A new location at the top of the warehouse, or inside `parentId`. */
export function NewLocationPanel(props: {
  warehouse: Warehouse;
  parentId: string | null;
  onCreated: (location: Location) => void;
}) {
  const { warehouse, parentId, onCreated } = props;
  const queryClient = useQueryClient();
  const parent = useQuery({
    queryKey: locationsKeys.detail(parentId ?? ''),
    queryFn: () => getLocation(parentId ?? ''),
    enabled: parentId !== null,
  });
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<string | null>(null);
  const [barcode, setBarcode] = useState('');
  const shownKind = kind ?? childKind(parent.data?.kind);

  const create = useMutation({
    mutationFn: (input: NewLocation) => createLocation(input),
    onSuccess: (location) => {
      queryClient.setQueryData(locationsKeys.detail(location.id), location);
      void queryClient.invalidateQueries({
        queryKey: locationsKeys.children(warehouse.id, location.parent_id),
      });
      onCreated(location);
      navigate(locationsUrl(warehouse.id, location.id));
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const input: NewLocation = { warehouse_id: warehouse.id, code: code.trim(), kind: shownKind.trim() };
    if (parentId) input.parent_id = parentId;
    if (name.trim()) input.name = name.trim();
    if (barcode.trim()) input.barcode = barcode.trim();
    create.mutate(input);
  }

  const where = parent.data ? parent.data.path_codes.join(' › ') : warehouse.code;
  return (
    <section className="panel" aria-labelledby="new-location-heading">
      <PanelHeader id="new-location-heading" title="New location" back={backTo(warehouse)}>
        <p className="panel-sub">
          Inside <strong className="mono">{parentId && !parent.data ? '…' : where}</strong>
        </p>
      </PanelHeader>
      <ErrorAlert error={parent.error} />
      <form onSubmit={submit}>
        <TextField
          label="Code"
          required
          autoComplete="off"
          autoCapitalize="characters"
          autoCorrect="off"
          spellCheck={false}
          maxLength={32}
          value={code}
          onChange={(event) => setCode(event.target.value)}
          hint="Unique in the warehouse, e.g. A-01-03."
          error={fieldError(create.error, 'code')}
        />
        <TextField
          label="Name (optional)"
          autoComplete="off"
          maxLength={120}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldError(create.error, 'name')}
        />
        <TextField
          label="Kind"
          required
          autoComplete="off"
          list={KINDS_LIST_ID}
          maxLength={32}
          value={shownKind}
          onChange={(event) => setKind(event.target.value)}
          hint="zone, aisle, rack, shelf, bin — or your own word."
          error={fieldError(create.error, 'kind')}
        />
        <KindOptions />
        <TextField
          label="Barcode (optional)"
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={64}
          value={barcode}
          onChange={(event) => setBarcode(event.target.value)}
          error={fieldError(create.error, 'barcode')}
        />
        <ErrorAlert error={create.error} />
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create location'}
          </button>
        </div>
      </form>
    </section>
  );
}
