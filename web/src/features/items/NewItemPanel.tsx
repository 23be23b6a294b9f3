import { type FormEvent, useState } from 'react';
import type { Item } from '../../api/types.ts';
import { CODE_TEXT, FormFooter, fieldError, TextField } from '../../ui/forms.tsx';
import { Panel, useCreate } from '../../ui/panels.tsx';
import { createItem, storeItem } from './api.ts';
import {
  type DraftErrors,
  EMPTY_DRAFT,
  ItemFields,
  inputOf,
  PackSizeField,
  parsePackSize,
} from './ItemFields.tsx';
import { ITEMS_BACK } from './ItemPanel.tsx';

export function NewItemPanel({ onCreated }: { onCreated: (item: Item) => void }) {
  const [draft, setDraft] = useState(EMPTY_DRAFT);
  const [barcode, setBarcode] = useState('');
  const [packQty, setPackQty] = useState('');
  const [localErrors, setLocalErrors] = useState<DraftErrors & { pack_qty?: string }>({});

  const create = useCreate({
    create: createItem,
    store: storeItem,
    onCreated,
    urlOf: (item) => `/items/${item.id}`,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { input, errors } = inputOf(draft);
    const pack = parsePackSize(packQty);
    const packError = typeof pack === 'object' && pack !== null ? pack.error : undefined;
    setLocalErrors({ ...errors, ...(packError ? { pack_qty: packError } : {}) });
    if (Object.keys(errors).length > 0 || packError) return;
    if (barcode.trim()) {
      input.barcodes = [
        typeof pack === 'number' ? { barcode: barcode.trim(), pack_qty: pack } : { barcode: barcode.trim() },
      ];
    }
    create.mutate(input);
  }

  // The server reports a bad barcode in the list as barcodes[0].barcode or barcodes.0.barcode.
  const barcodeError = fieldError(create.error, 'barcodes[0].barcode', 'barcodes.0.barcode', 'barcodes');
  return (
    <Panel headingId="new-item-heading" title="New item" back={ITEMS_BACK}>
      <form onSubmit={submit} noValidate>
        <ItemFields
          draft={draft}
          onChange={(next) => {
            setDraft(next);
            setLocalErrors({});
          }}
          error={create.error}
          localErrors={localErrors}
          isNew
        />
        <fieldset className="fieldset">
          <legend>First barcode (optional)</legend>
          <div className="form-grid">
            <TextField
              label="Barcode"
              {...CODE_TEXT}
              maxLength={64}
              value={barcode}
              onChange={(event) => setBarcode(event.target.value)}
              hint="A GTIN (EAN-13, UPC-A…) or an internal code."
              error={barcodeError}
            />
            <PackSizeField
              value={packQty}
              onChange={setPackQty}
              hint="Base units per scan of this barcode."
              error={
                localErrors.pack_qty ??
                fieldError(create.error, 'barcodes[0].pack_qty', 'barcodes.0.pack_qty')
              }
            />
          </div>
        </fieldset>
        <FormFooter
          error={create.error}
          pending={create.isPending}
          label="Create item"
          pendingLabel="Creating…"
        />
      </form>
    </Panel>
  );
}
