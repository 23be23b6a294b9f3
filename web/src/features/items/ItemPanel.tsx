import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Item } from '../../api/types.ts';
import { formatMoney, formatQuantity, parseDecimal } from '../../ui/format.ts';
import { ErrorAlert, fieldError, StatusNote, TextField } from '../../ui/forms.tsx';
import { PanelHeader } from '../../ui/PanelHeader.tsx';
import { addBarcode, getItem, type ItemInput, itemsKeys, removeBarcode, updateItem } from './api.ts';
import { type DraftErrors, draftOf, type ItemDraft, ItemFields, inputOf } from './ItemFields.tsx';

export const ITEMS_BACK = { to: '/items', label: 'items' };

const TRACKING_LABELS = { none: 'None', lot: 'By lot', serial: 'By serial number' } as const;

/** One item: its fields (editable for admins and supervisors) and its barcodes. */
export function ItemPanel(props: { id: string; canEdit: boolean; justCreated: boolean }) {
  const { id, canEdit, justCreated } = props;
  const item = useQuery({ queryKey: itemsKeys.detail(id), queryFn: () => getItem(id) });

  if (!item.data) {
    return (
      <section className="panel" aria-labelledby="item-panel-heading">
        <PanelHeader
          id="item-panel-heading"
          title={item.isPending ? 'Loading item…' : 'Item not available'}
          back={ITEMS_BACK}
        />
        <ErrorAlert error={item.error} />
      </section>
    );
  }

  const data = item.data;
  return (
    <section className="panel" aria-labelledby="item-panel-heading">
      <PanelHeader id="item-panel-heading" title={data.name} back={ITEMS_BACK}>
        <p className="panel-sub">
          <span className="mono">{data.item_code}</span>
          <span className={data.active ? 'status status-active' : 'status status-inactive'}>
            {data.active ? 'Active' : 'Inactive'}
          </span>
        </p>
      </PanelHeader>
      {justCreated && <StatusNote>Item {data.item_code} created.</StatusNote>}
      {canEdit ? <EditSection item={data} /> : <ReadOnlyDetails item={data} />}
      <BarcodesSection item={data} canEdit={canEdit} />
      {canEdit && <StatusSection item={data} />}
    </section>
  );
}

function storeItem(queryClient: QueryClient, item: Item): void {
  queryClient.setQueryData(itemsKeys.detail(item.id), item);
  void queryClient.invalidateQueries({ queryKey: ['items', 'list'] });
}

function useItemUpdate(item: Item, onSuccess?: () => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: ItemInput) => updateItem(item.id, changes),
    onSuccess: (updated) => {
      storeItem(queryClient, updated);
      onSuccess?.();
    },
  });
}

function ReadOnlyDetails({ item }: { item: Item }) {
  return (
    <section className="panel-section" aria-labelledby="item-details-heading">
      <h3 id="item-details-heading">Details</h3>
      <dl className="details">
        <dt>Category</dt>
        <dd>{[item.category, item.sub_category].filter(Boolean).join(' › ') || '—'}</dd>
        <dt>Base unit</dt>
        <dd>{item.base_uom}</dd>
        <dt>Unit cost</dt>
        <dd>{formatMoney(item.unit_cost)}</dd>
        <dt>MRP</dt>
        <dd>{formatMoney(item.mrp)}</dd>
        <dt>ABC class</dt>
        <dd>{item.abc_class ?? '—'}</dd>
        <dt>Tracking</dt>
        <dd>{TRACKING_LABELS[item.tracking]}</dd>
      </dl>
    </section>
  );
}

function EditSection({ item }: { item: Item }) {
  // The form shows the server's values until edited; an edit is kept until saved.
  const [edited, setEdited] = useState<ItemDraft | null>(null);
  const [localErrors, setLocalErrors] = useState<DraftErrors>({});
  const update = useItemUpdate(item, () => setEdited(null));
  const draft = edited ?? draftOf(item);
  const { input, errors } = inputOf(draft, item);
  const dirty = Object.keys(input).length > 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    setLocalErrors(errors);
    if (Object.keys(errors).length === 0 && dirty) update.mutate(input);
  }

  return (
    <section className="panel-section" aria-labelledby="item-details-heading">
      <h3 id="item-details-heading">Details</h3>
      <form onSubmit={submit} noValidate>
        <ItemFields
          draft={draft}
          onChange={(next) => {
            setEdited(next);
            setLocalErrors({});
            update.reset();
          }}
          error={update.error}
          localErrors={localErrors}
          isNew={false}
        />
        <ErrorAlert error={update.error} />
        {update.isSuccess && !dirty && <StatusNote>Changes saved.</StatusNote>}
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={!dirty || update.isPending}>
            {update.isPending ? 'Saving…' : 'Save changes'}
          </button>
          {dirty && (
            <button type="button" className="button button-secondary" onClick={() => setEdited(null)}>
              Discard
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function BarcodesSection({ item, canEdit }: { item: Item; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [barcode, setBarcode] = useState('');
  const [packQty, setPackQty] = useState('');
  const [packError, setPackError] = useState<string | undefined>();
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: itemsKeys.detail(item.id) });
    void queryClient.invalidateQueries({ queryKey: ['items', 'list'] });
  };

  const add = useMutation({
    mutationFn: (pack: number | null) => addBarcode(item.id, barcode.trim(), pack),
    onSuccess: () => {
      setDone(`Barcode ${barcode.trim()} added.`);
      setBarcode('');
      setPackQty('');
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (code: string) => removeBarcode(item.id, code),
    onSuccess: (_data, code) => {
      setDone(`Barcode ${code} removed.`);
      refresh();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    remove.reset();
    const pack = parseDecimal(packQty, 3);
    if (typeof pack === 'object' && pack !== null) {
      setPackError(pack.error);
      return;
    }
    setPackError(undefined);
    add.mutate(pack);
  }

  return (
    <section className="panel-section" aria-labelledby="barcodes-heading">
      <h3 id="barcodes-heading">Barcodes</h3>
      {item.barcodes.length === 0 ? (
        <p className="muted">No barcodes: this item can only be found by its code or name.</p>
      ) : (
        <ul className="barcode-list" aria-label="Barcodes">
          {item.barcodes.map((entry) => (
            <li key={entry.barcode}>
              <span className="mono barcode-code">{entry.barcode}</span>
              <span className="muted small">
                {entry.pack_qty === 1
                  ? `1 ${item.base_uom}`
                  : `Pack of ${formatQuantity(entry.pack_qty)} ${item.base_uom}`}{' '}
                · {entry.kind === 'gtin' ? 'GTIN' : 'Internal'}
              </span>
              {canEdit && (
                <button
                  type="button"
                  className="button button-danger-outline button-small"
                  aria-label={`Remove barcode ${entry.barcode}`}
                  disabled={remove.isPending}
                  onClick={() => {
                    setDone(null);
                    add.reset();
                    remove.mutate(entry.barcode);
                  }}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert error={remove.error} />
      {done && <StatusNote>{done}</StatusNote>}
      {canEdit && (
        <form onSubmit={submit} className="inline-form" aria-label="Add a barcode">
          <TextField
            label="New barcode"
            required
            autoComplete="off"
            autoCorrect="off"
            spellCheck={false}
            inputMode="text"
            maxLength={64}
            value={barcode}
            onChange={(event) => {
              setBarcode(event.target.value);
              add.reset();
            }}
            error={fieldError(add.error, 'barcode')}
          />
          <TextField
            label="Pack size"
            inputMode="decimal"
            autoComplete="off"
            placeholder="1"
            value={packQty}
            onChange={(event) => setPackQty(event.target.value)}
            hint={`${item.base_uom} per scan`}
            error={packError ?? fieldError(add.error, 'pack_qty')}
          />
          <div className="form-actions">
            <button className="button button-secondary" type="submit" disabled={add.isPending}>
              {add.isPending ? 'Adding…' : 'Add barcode'}
            </button>
          </div>
          <ErrorAlert error={add.error} />
        </form>
      )}
    </section>
  );
}

function StatusSection({ item }: { item: Item }) {
  const update = useItemUpdate(item);
  return (
    <section className="panel-section" aria-labelledby="item-status-heading">
      <h3 id="item-status-heading">Status</h3>
      <p>
        {item.active
          ? 'Active: the item can be counted.'
          : 'Inactive: the item is kept for history but not offered for counting.'}
      </p>
      <ErrorAlert error={update.error} />
      <div>
        <button
          type="button"
          className={item.active ? 'button button-danger-outline' : 'button button-secondary'}
          disabled={update.isPending}
          onClick={() => update.mutate({ active: !item.active })}
        >
          {item.active ? 'Deactivate item' : 'Reactivate item'}
        </button>
      </div>
    </section>
  );
}
