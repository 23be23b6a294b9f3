import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Location, Warehouse } from '../../api/types.ts';
import { Link } from '../../router.tsx';
import {
  CODE_TEXT,
  EditFormFooter,
  ErrorAlert,
  FormFooter,
  fieldError,
  StatusNote,
  TextField,
  useEditForm,
} from '../../ui/forms.tsx';
import { ActiveStatus } from '../../ui/lists.tsx';
import { ActivationSection, Panel, PanelSection, UnavailablePanel, useCreate } from '../../ui/panels.tsx';
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

/** A location's kind: one of the usual words, offered as suggestions, or the user's own. */
function KindField(props: {
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  error?: string;
}) {
  const { value, onChange, hint, error } = props;
  return (
    <>
      <TextField
        label="Kind"
        required
        autoComplete="off"
        list="location-kinds"
        maxLength={32}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        hint={hint}
        error={error}
      />
      <datalist id="location-kinds">
        {LOCATION_KINDS.map((kind) => (
          <option key={kind} value={kind} />
        ))}
      </datalist>
    </>
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
      <UnavailablePanel
        headingId="location-heading"
        noun="location"
        query={location}
        back={backTo(warehouse)}
      />
    );
  }

  const data = location.data;
  return (
    <Panel
      headingId="location-heading"
      title={data.name || data.code}
      back={backTo(warehouse)}
      head={
        <>
          <Breadcrumb warehouse={warehouse} codes={data.path_codes} />
          <p className="panel-sub">
            <span className="mono">{data.code}</span>
            <span className="badge">{data.kind}</span>
            <ActiveStatus active={data.active} />
          </p>
        </>
      }
    >
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
    </Panel>
  );
}

function useLocationUpdate(location: Location) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: LocationChanges) => updateLocation(location.id, changes),
    onSuccess: (updated) => {
      queryClient.setQueryData(locationsKeys.detail(updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: ['locations', 'children'] });
    },
  });
}

function EditLocation({ location }: { location: Location }) {
  const form = useEditForm(useLocationUpdate(location), {
    saved: { name: location.name, kind: location.kind, barcode: location.barcode ?? '' },
    changesOf: ({ name, kind, barcode }) => {
      const changes: LocationChanges = {};
      if (name.trim() !== location.name) changes.name = name.trim();
      if (kind.trim() !== location.kind) changes.kind = kind.trim();
      if ((barcode.trim() || null) !== location.barcode) changes.barcode = barcode.trim() || null;
      return changes;
    },
  });
  // The whole form is kept once edited, as it was when the edit began.
  const set = (key: keyof typeof form.draft) => (value: string) => form.edit({ ...form.draft, [key]: value });

  return (
    <PanelSection headingId="edit-location-heading" title="Details">
      <form onSubmit={form.submit}>
        <TextField
          label="Name"
          autoComplete="off"
          maxLength={120}
          value={form.draft.name}
          onChange={(event) => set('name')(event.target.value)}
          error={form.fieldError('name')}
        />
        <KindField value={form.draft.kind} onChange={set('kind')} error={form.fieldError('kind')} />
        <TextField
          label="Barcode"
          {...CODE_TEXT}
          maxLength={64}
          value={form.draft.barcode}
          onChange={(event) => set('barcode')(event.target.value)}
          hint="The label on the shelf, if it has one. Leave empty to remove."
          error={form.fieldError('barcode')}
        />
        <EditFormFooter form={form} />
      </form>
    </PanelSection>
  );
}

function LocationStatus({ location }: { location: Location }) {
  return (
    <ActivationSection
      headingId="location-status-heading"
      noun="location"
      active={location.active}
      activeText="Active: stock can be counted here."
      inactiveText="Inactive: kept for history, not offered for counting."
      update={useLocationUpdate(location)}
    />
  );
}

/** A new location at the top of the warehouse, or inside `parentId`. */
export function NewLocationPanel(props: {
  warehouse: Warehouse;
  parentId: string | null;
  onCreated: (location: Location) => void;
}) {
  const { warehouse, parentId, onCreated } = props;
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

  const create = useCreate({
    create: createLocation,
    store: (queryClient, location: Location) => {
      queryClient.setQueryData(locationsKeys.detail(location.id), location);
      void queryClient.invalidateQueries({
        queryKey: locationsKeys.children(warehouse.id, location.parent_id),
      });
    },
    onCreated,
    urlOf: (location) => locationsUrl(warehouse.id, location.id),
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
    <Panel
      headingId="new-location-heading"
      title="New location"
      back={backTo(warehouse)}
      head={
        <p className="panel-sub">
          Inside <strong className="mono">{parentId && !parent.data ? '…' : where}</strong>
        </p>
      }
    >
      <ErrorAlert error={parent.error} />
      <form onSubmit={submit}>
        <TextField
          label="Code"
          required
          {...CODE_TEXT}
          autoCapitalize="characters"
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
        <KindField
          value={shownKind}
          onChange={setKind}
          hint="zone, aisle, rack, shelf, bin — or your own word."
          error={fieldError(create.error, 'kind')}
        />
        <TextField
          label="Barcode (optional)"
          {...CODE_TEXT}
          maxLength={64}
          value={barcode}
          onChange={(event) => setBarcode(event.target.value)}
          error={fieldError(create.error, 'barcode')}
        />
        <FormFooter
          error={create.error}
          pending={create.isPending}
          label="Create location"
          pendingLabel="Creating…"
        />
      </form>
    </Panel>
  );
}
