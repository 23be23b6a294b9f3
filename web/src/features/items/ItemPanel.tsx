import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Item } from '../../api/types.ts';
import { formatMoney, formatQuantity } from '../../ui/format.ts';
import {
  CODE_TEXT,
  EditFormFooter,
  ErrorAlert,
  fieldError,
  StatusNote,
  TextField,
  useEditForm,
} from '../../ui/forms.tsx';
import { ActiveStatus } from '../../ui/lists.tsx';
import { ActivationSection, Panel, PanelSection, UnavailablePanel } from '../../ui/panels.tsx';
import {
  addBarcode,
  getItem,
  type ItemInput,
  itemsKeys,
  removeBarcode,
  storeItem,
  updateItem,
} from './api.ts';
import { draftOf, ItemFields, inputOf, PackSizeField, parsePackSize } from './ItemFields.tsx';

export const ITEMS_BACK = { to: '/items', label: 'items' };

const TRACKING_LABELS = { none: 'None', lot: 'By lot', serial: 'By serial number' } as const;

/** One item: its fields (editable for admins and supervisors) and its barcodes. */
export function ItemPanel(props: { id: string; canEdit: boolean; justCreated: boolean }) {
  const { id, canEdit, justCreated } = props;
  const item = useQuery({ queryKey: itemsKeys.detail(id), queryFn: () => getItem(id) });

  if (!item.data) {
    return <UnavailablePanel headingId="item-panel-heading" noun="item" query={item} back={ITEMS_BACK} />;
  }

  const data = item.data;
  return (
    <Panel
      headingId="item-panel-heading"
      title={data.name}
      back={ITEMS_BACK}
      head={
        <p className="panel-sub">
          <span className="mono">{data.item_code}</span>
          <ActiveStatus active={data.active} />
        </p>
      }
    >
      {justCreated && <StatusNote>Item {data.item_code} created.</StatusNote>}
      {canEdit ? <EditSection item={data} /> : <ReadOnlyDetails item={data} />}
      <BarcodesSection item={data} canEdit={canEdit} />
      {canEdit && <StatusSection item={data} />}
    </Panel>
  );
}

function useItemUpdate(item: Item) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: ItemInput) => updateItem(item.id, changes),
    onSuccess: (updated) => storeItem(queryClient, updated),
  });
}

function ReadOnlyDetails({ item }: { item: Item }) {
  return (
    <PanelSection headingId="item-details-heading" title="Details">
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
    </PanelSection>
  );
}

function EditSection({ item }: { item: Item }) {
  const form = useEditForm(useItemUpdate(item), {
    saved: draftOf(item),
    changesOf: (draft) => inputOf(draft, item).input,
    validate: (draft) => inputOf(draft, item).errors,
  });

  return (
    <PanelSection headingId="item-details-heading" title="Details">
      <form onSubmit={form.submit} noValidate>
        <ItemFields
          draft={form.draft}
          onChange={form.edit}
          error={form.error}
          localErrors={form.localErrors}
          isNew={false}
        />
        <EditFormFooter form={form}>
          {form.dirty && (
            <button type="button" className="button button-secondary" onClick={form.discard}>
              Discard
            </button>
          )}
        </EditFormFooter>
      </form>
    </PanelSection>
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
    void queryClient.invalidateQueries({ queryKey: itemsKeys.lists });
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
    const pack = parsePackSize(packQty);
    if (typeof pack === 'object' && pack !== null) {
      setPackError(pack.error);
      return;
    }
    setPackError(undefined);
    add.mutate(pack);
  }

  return (
    <PanelSection headingId="barcodes-heading" title="Barcodes">
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
            {...CODE_TEXT}
            inputMode="text"
            maxLength={64}
            value={barcode}
            onChange={(event) => {
              setBarcode(event.target.value);
              add.reset();
            }}
            error={fieldError(add.error, 'barcode')}
          />
          <PackSizeField
            value={packQty}
            onChange={setPackQty}
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
    </PanelSection>
  );
}

function StatusSection({ item }: { item: Item }) {
  return (
    <ActivationSection
      headingId="item-status-heading"
      noun="item"
      active={item.active}
      activeText="Active: the item can be counted."
      inactiveText="Inactive: the item is kept for history but not offered for counting."
      update={useItemUpdate(item)}
    />
  );
}
