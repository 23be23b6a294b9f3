import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Item, Location } from '../../../api/types.ts';
import { navigate } from '../../../router.tsx';
import { decimalText, parseDecimal } from '../../../ui/format.ts';
import { CheckboxField, FormFooter, fieldError, SelectField, TextField } from '../../../ui/forms.tsx';
import { SearchPicker } from '../../../ui/SearchPicker.tsx';
import {
  COUNT_MODES,
  type CountMode,
  type CountSession,
  countingKeys,
  countingUrl,
  createSession,
  getItem,
  getLocation,
  type SessionInput,
  searchItems,
  searchLocations,
  storeSession,
  type ToleranceProfile,
  updateSession,
} from './api.ts';
import { MODE_HINTS, MODE_LABELS, useWarehouses } from './parts.tsx';

const TOLERANCE_FIELDS = [
  { key: 'qty_abs', label: 'Quantity (units)', places: 3, hint: 'Absolute, in base units' },
  { key: 'qty_pct', label: 'Quantity %', places: 3, hint: 'Of the book quantity' },
  { key: 'value_abs', label: 'Value', places: 4, hint: 'Variance × unit cost' },
  { key: 'value_pct', label: 'Value %', places: 3, hint: 'Of the book value' },
] as const;
type ToleranceKey = (typeof TOLERANCE_FIELDS)[number]['key'];

interface Draft {
  name: string;
  warehouse_id: string;
  mode: CountMode;
  notes: string;
  location_ids: string[];
  categories: string[];
  item_ids: string[];
  tolerance: Record<ToleranceKey, string>;
  auto_approve: boolean;
}

function draftOf(session: CountSession | null): Draft {
  const tolerance = session?.tolerance;
  return {
    name: session?.name ?? '',
    warehouse_id: session?.warehouse_id ?? '',
    mode: session?.mode ?? 'standard',
    notes: session?.notes ?? '',
    location_ids: session?.scope.location_ids ?? [],
    categories: session?.scope.categories ?? [],
    item_ids: session?.scope.item_ids ?? [],
    tolerance: {
      qty_abs: decimalText(tolerance?.qty_abs),
      qty_pct: decimalText(tolerance?.qty_pct),
      value_abs: decimalText(tolerance?.value_abs),
      value_pct: decimalText(tolerance?.value_pct),
    },
    auto_approve: tolerance?.auto_approve ?? true,
  };
}

/**
 * Plan a session, or change a draft: name, warehouse, scope, mode and the session's default
 * tolerance. Tolerances by ABC class or by item-location (set through the API) are kept as they are.
 */
export function PlanForm({ session }: { session: CountSession | null }) {
  const queryClient = useQueryClient();
  const warehouses = useWarehouses();
  const [draft, setDraft] = useState<Draft>(() => draftOf(session));
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [pickerKey, setPickerKey] = useState(0);
  const [category, setCategory] = useState('');
  const [saved, setSaved] = useState(false);

  const save = useMutation({
    mutationFn: (input: SessionInput) =>
      session ? updateSession(session.id, { ...input, version: session.version }) : createSession(input),
    onSuccess: (result) => {
      storeSession(queryClient, result);
      if (session) setSaved(true);
      else navigate(countingUrl(result.id));
    },
  });

  const edit = (fields: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...fields }));
    setErrors({});
    setSaved(false);
    save.reset();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!draft.name.trim()) found.name = 'Name is required';
    if (!draft.warehouse_id) found.warehouse_id = 'Choose a warehouse';
    const tolerance: Omit<ToleranceProfile, 'auto_approve'> & { auto_approve: boolean } = {
      // Levels below the default are not edited here: sent back unchanged, as the server replaces the whole profile.
      ...(session?.tolerance?.by_abc ? { by_abc: session.tolerance.by_abc } : {}),
      ...(session?.tolerance?.by_item_location
        ? { by_item_location: session.tolerance.by_item_location }
        : {}),
      auto_approve: draft.auto_approve,
    };
    for (const field of TOLERANCE_FIELDS) {
      const parsed = parseDecimal(draft.tolerance[field.key], field.places);
      if (parsed !== null && typeof parsed === 'object') found[field.key] = `${field.label} ${parsed.error}`;
      else if (typeof parsed === 'number') tolerance[field.key] = parsed;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    save.mutate({
      name: draft.name.trim(),
      warehouse_id: draft.warehouse_id,
      mode: draft.mode,
      notes: draft.notes.trim() || null,
      scope: { location_ids: draft.location_ids, categories: draft.categories, item_ids: draft.item_ids },
      tolerance,
    });
  }

  const addCategory = () => {
    const value = category.trim();
    if (value && !draft.categories.includes(value)) edit({ categories: [...draft.categories, value] });
    setCategory('');
  };

  const error = (field: string) => errors[field] ?? fieldError(save.error, field);

  return (
    <form className="card plan-form" onSubmit={submit} noValidate aria-labelledby="plan-heading">
      <h2 id="plan-heading">{session ? 'Plan (draft)' : 'Plan a session'}</h2>
      <div className="form-grid">
        <TextField
          label="Name"
          value={draft.name}
          maxLength={120}
          required
          error={error('name')}
          onChange={(event) => edit({ name: event.target.value })}
        />
        <SelectField
          label="Warehouse"
          value={draft.warehouse_id}
          required
          error={error('warehouse_id')}
          onChange={(event) =>
            // Locations belong to one warehouse: another warehouse starts the location scope afresh.
            edit({ warehouse_id: event.target.value, location_ids: [] })
          }
        >
          <option value="">Choose…</option>
          {warehouses.data?.items.map((warehouse) => (
            <option key={warehouse.id} value={warehouse.id}>
              {warehouse.code} · {warehouse.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Mode"
          value={draft.mode}
          hint={MODE_HINTS[draft.mode]}
          onChange={(event) => edit({ mode: event.target.value as CountMode })}
        >
          {COUNT_MODES.map((mode) => (
            <option key={mode} value={mode}>
              {MODE_LABELS[mode]}
            </option>
          ))}
        </SelectField>
      </div>

      <fieldset className="fieldset">
        <legend>Scope</legend>
        <p className="muted small">Leave a part empty to count everything on that axis; the parts combine.</p>
        <div className="form-grid">
          <div>
            {draft.warehouse_id ? (
              <SearchPicker<Location>
                key={`loc-${pickerKey}`}
                label="Add a location (with everything under it)"
                placeholder="Code or name"
                selected={null}
                onSelect={(location) => {
                  if (location && !draft.location_ids.includes(location.id))
                    edit({ location_ids: [...draft.location_ids, location.id] });
                  setPickerKey((key) => key + 1);
                }}
                queryKey={['counting', 'scope-locations', draft.warehouse_id]}
                search={(q) => searchLocations(draft.warehouse_id, q)}
                keyOf={(location) => location.id}
                describe={(location) => `${location.path_codes.join(' › ')} · ${location.name}`}
              />
            ) : (
              <p className="muted small">Choose a warehouse to pick locations.</p>
            )}
            <ScopeChips
              label="Locations in scope"
              ids={draft.location_ids}
              empty="Every location of the warehouse"
              kind="location"
              onRemove={(id) => edit({ location_ids: draft.location_ids.filter((entry) => entry !== id) })}
            />
          </div>
          <div>
            <div className="inline-add">
              <TextField
                label="Add a category"
                value={category}
                maxLength={100}
                onChange={(event) => setCategory(event.target.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter') {
                    event.preventDefault();
                    addCategory();
                  }
                }}
              />
              <button type="button" className="button button-secondary" onClick={addCategory}>
                Add category
              </button>
            </div>
            <ul className="chips" aria-label="Categories in scope">
              {draft.categories.length === 0 && <li className="muted small">Every category</li>}
              {draft.categories.map((value) => (
                <li key={value} className="chip">
                  {value}
                  <button
                    type="button"
                    aria-label={`Remove category ${value}`}
                    onClick={() => edit({ categories: draft.categories.filter((entry) => entry !== value) })}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          </div>
          <div>
            <SearchPicker<Item>
              key={`item-${pickerKey}`}
              label="Add an item"
              placeholder="Code, name or barcode"
              selected={null}
              onSelect={(item) => {
                if (item && !draft.item_ids.includes(item.id))
                  edit({ item_ids: [...draft.item_ids, item.id] });
                setPickerKey((key) => key + 1);
              }}
              queryKey={['counting', 'scope-items']}
              search={searchItems}
              keyOf={(item) => item.id}
              describe={(item) => `${item.item_code} · ${item.name}`}
            />
            <ScopeChips
              label="Items in scope"
              ids={draft.item_ids}
              empty="Every item"
              kind="item"
              onRemove={(id) => edit({ item_ids: draft.item_ids.filter((entry) => entry !== id) })}
            />
          </div>
        </div>
      </fieldset>

      <fieldset className="fieldset">
        <legend>Tolerance (session default)</legend>
        <p className="muted small">
          A variance within every figure set here is within tolerance; a figure left empty is no tolerance on
          that axis.
          {session?.tolerance?.by_abc || session?.tolerance?.by_item_location?.length
            ? ' Tolerances by ABC class or item-location are kept as set.'
            : ''}
        </p>
        <div className="form-grid">
          {TOLERANCE_FIELDS.map((field) => (
            <TextField
              key={field.key}
              label={field.label}
              hint={field.hint}
              inputMode="decimal"
              value={draft.tolerance[field.key]}
              error={
                error(field.key) ??
                fieldError(save.error, `tolerance.${field.key}`, `/tolerance/${field.key}`)
              }
              onChange={(event) =>
                edit({ tolerance: { ...draft.tolerance, [field.key]: event.target.value } })
              }
            />
          ))}
        </div>
        <CheckboxField
          label="Auto-approve lines within tolerance"
          checked={draft.auto_approve}
          onChange={(event) => edit({ auto_approve: event.target.checked })}
        />
      </fieldset>

      <TextField
        label="Notes"
        value={draft.notes}
        maxLength={2000}
        onChange={(event) => edit({ notes: event.target.value })}
      />

      <FormFooter
        error={save.error}
        done={saved && 'Plan saved.'}
        pending={save.isPending}
        label={session ? 'Save plan' : 'Create draft'}
        pendingLabel="Saving…"
      />
    </form>
  );
}

/** Chosen locations or items, by their code (looked up), each with a way to remove it. */
function ScopeChips(props: {
  label: string;
  ids: string[];
  empty: string;
  kind: 'location' | 'item';
  onRemove: (id: string) => void;
}) {
  const { label, ids, empty, kind, onRemove } = props;
  const names = useQueries({
    queries: ids.map((id) =>
      kind === 'location'
        ? {
            queryKey: countingKeys.location(id),
            queryFn: () => getLocation(id),
            staleTime: 5 * 60_000,
            select: (location: Location) => `${location.path_codes.join(' › ')}`,
          }
        : {
            queryKey: countingKeys.item(id),
            queryFn: () => getItem(id),
            staleTime: 5 * 60_000,
            select: (item: Item) => `${item.item_code} · ${item.name}`,
          },
    ),
  });
  return (
    <ul className="chips" aria-label={label}>
      {ids.length === 0 && <li className="muted small">{empty}</li>}
      {ids.map((id, index) => {
        const name = (names[index]?.data as string | undefined) ?? '…';
        return (
          <li key={id} className="chip">
            {name}
            <button type="button" aria-label={`Remove ${name}`} onClick={() => onRemove(id)}>
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}
