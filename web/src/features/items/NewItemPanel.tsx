import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Item } from '../../api/types.ts';
import { navigate } from '../../router.tsx';
import { parseDecimal } from '../../ui/format.ts';
import { ErrorAlert, fieldError, TextField } from '../../ui/forms.tsx';
import { PanelHeader } from '../../ui/PanelHeader.tsx';
import { createItem, type ItemInput, itemsKeys } from './api.ts';
import { type DraftErrors, EMPTY_DRAFT, ItemFields, inputOf } from './ItemFields.tsx';
import { ITEMS_BACK } from './ItemPanel.tsx';

export function NewItemPanel({ onCreated }: { onCreated: (item: Item) => void }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(EMPTY_DRAFT);
  const [barcode, setBarcode] = useState('');
  const [packQty, setPackQty] = useState('');
  const [localErrors, setLocalErrors] = useState<DraftErrors & { pack_qty?: string }>({});

  const create = useMutation({
    mutationFn: (input: ItemInput) => createItem(input),
    onSuccess: (item) => {
      queryClient.setQueryData(itemsKeys.detail(item.id), item);
      void queryClient.invalidateQueries({ queryKey: ['items', 'list'] });
      onCreated(item);
      navigate(`/items/${item.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { input, errors } = inputOf(draft);
    const pack = parseDecimal(packQty, 3);
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
    <section className="panel" aria-labelledby="new-item-heading">
      <PanelHeader id="new-item-heading" title="New item" back={ITEMS_BACK} />
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
              autoComplete="off"
              autoCorrect="off"
              spellCheck={false}
              maxLength={64}
              value={barcode}
              onChange={(event) => setBarcode(event.target.value)}
              hint="A GTIN (EAN-13, UPC-A…) or an internal code."
              error={barcodeError}
            />
            <TextField
              label="Pack size"
              inputMode="decimal"
              autoComplete="off"
              placeholder="1"
              value={packQty}
              onChange={(event) => setPackQty(event.target.value)}
              hint="Base units per scan of this barcode."
              error={
                localErrors.pack_qty ??
                fieldError(create.error, 'barcodes[0].pack_qty', 'barcodes.0.pack_qty')
              }
            />
          </div>
        </fieldset>
        <ErrorAlert error={create.error} />
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create item'}
          </button>
        </div>
      </form>
    </section>
  );
}
