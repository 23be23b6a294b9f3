import { type FormEvent, useEffect, useRef, useState } from 'react';
import { CODE_TEXT } from '../../../ui/forms.tsx';
import type { ScannedItem } from '../offline/counter-db.ts';
import { counterStore, deviceId, syncNow } from '../offline/counter-store.ts';
import { resolveBarcode } from '../offline/lookups.ts';
import { lookupItem } from './api.ts';
import { CameraScanner } from './CameraScanner.tsx';
import { checkQuantity, quantityText, stepQuantity } from './entry-format.ts';

export const SCAN_FIELD_ID = 'item-code';

interface TrackedPrompt {
  barcode: string;
  item: ScannedItem;
  /** The quantity shown when the item was scanned. */
  quantity: string;
}

/**
 * Scanning items into the outbox. A keyboard-wedge scanner types the code and Enter into the
 * focused scan field, so focus goes back there after everything; the camera feeds the same path.
 * Each scan counts the quantity shown (1 unless changed), in the scanned barcode's unit.
 */
export function ScanPanel(props: { userId: string; sessionId: string; locationId: string }) {
  const { userId, sessionId, locationId } = props;
  const { db, outbox } = counterStore();
  const scanRef = useRef<HTMLInputElement>(null);
  const trackRef = useRef<HTMLInputElement>(null);
  const [code, setCode] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [prompt, setPrompt] = useState<TrackedPrompt | null>(null);
  const [trackValue, setTrackValue] = useState('');
  // Scans are handled one after another, in the order they came: a wedge scanner can be faster
  // than a lookup.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const quantityRef = useRef(quantity);
  quantityRef.current = quantity;

  const focusScan = () => window.setTimeout(() => scanRef.current?.focus(), 0);
  const promptRef = useRef(prompt);
  promptRef.current = prompt;
  // The counter came here to scan, and a wedge scanner types wherever focus is: start in the field,
  // and bring typing that lands on no field (after a tap on a button) back to it.
  useEffect(() => {
    scanRef.current?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (promptRef.current || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1)
        return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
      scanRef.current?.focus();
    };
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, []);
  // Once the lot or serial is given (or the question cancelled), scanning goes on.
  useEffect(() => {
    if (prompt === null) scanRef.current?.focus();
  }, [prompt]);

  /** `quantity`: the (checked) quantity shown when the code was scanned. */
  async function record(
    barcode: string,
    item: ScannedItem | null,
    quantity: string,
    tracked?: { lot?: string; serial?: string },
  ) {
    const serial = tracked?.serial ?? null;
    const checked = { value: serial ? '1' : quantity };
    await outbox.add({
      user_id: userId,
      session_id: sessionId,
      location_id: locationId,
      barcode,
      quantity: checked.value,
      uom: item?.base_uom ?? null,
      lot: tracked?.lot ?? null,
      serial,
      device_id: deviceId(),
      item,
    });
    const what = item ? item.name : `Unknown barcode ${barcode}`;
    setAdded(`Added ${what}: ${quantityText(checked.value, item?.pack_qty ?? 1, item?.base_uom ?? null)}`);
    void syncNow();
  }

  function handleCode(raw: string) {
    const barcode = raw.trim();
    // While a lot or serial is asked for, a camera read must not start another entry.
    if (!barcode || promptRef.current) return;
    // The quantity shown when the code is scanned is this scan's, and the next scan starts at 1
    // again: a lookup may take a moment, and the counter may set the next quantity meanwhile.
    const checked = checkQuantity(quantityRef.current);
    if ('error' in checked) {
      setError(checked.error);
      return;
    }
    const quantity = checked.value;
    setQuantity('1');
    quantityRef.current = '1';
    queue.current = queue.current.then(async () => {
      setError(null);
      try {
        const { item } = await resolveBarcode(db, barcode, lookupItem);
        if (item && item.tracking !== 'none') {
          setPrompt({ barcode, item, quantity });
          setTrackValue('');
          window.setTimeout(() => trackRef.current?.focus(), 0);
          return;
        }
        await record(barcode, item, quantity);
      } catch (cause) {
        setError(cause instanceof Error ? `Not recorded: ${cause.message}` : 'Not recorded');
      }
      focusScan();
    });
  }

  function onScan(event: FormEvent) {
    event.preventDefault();
    if (prompt) return;
    handleCode(code);
    setCode('');
  }

  async function onTracked(event: FormEvent) {
    event.preventDefault();
    if (!prompt) return;
    const value = trackValue.trim();
    if (!value) {
      setError(prompt.item.tracking === 'serial' ? 'Enter the serial number' : 'Enter the lot');
      return;
    }
    await record(
      prompt.barcode,
      prompt.item,
      prompt.quantity,
      prompt.item.tracking === 'serial' ? { serial: value } : { lot: value },
    );
    setPrompt(null);
    focusScan();
  }

  const step = (delta: 1 | -1) => {
    setQuantity((current) => stepQuantity(current, delta));
    focusScan();
  };

  return (
    <section className="card counter-scan" aria-label="Scan items">
      <form onSubmit={onScan} className="counter-scan-form">
        <label htmlFor="item-code" className="visually-hidden">
          Item barcode
        </label>
        <input
          id={SCAN_FIELD_ID}
          ref={scanRef}
          className="counter-scan-input"
          value={code}
          onChange={(event) => setCode(event.target.value)}
          placeholder="Scan a barcode"
          enterKeyHint="enter"
          disabled={prompt !== null}
          {...CODE_TEXT}
        />
        <button type="submit" className="button button-primary" disabled={prompt !== null}>
          Add
        </button>
      </form>

      <div className="counter-quantity">
        <label htmlFor="scan-quantity">Quantity per scan</label>
        <div className="counter-stepper">
          <button
            type="button"
            className="button button-secondary"
            onClick={() => step(-1)}
            aria-label="One less"
          >
            −
          </button>
          <input
            id="scan-quantity"
            inputMode="decimal"
            value={quantity}
            onChange={(event) => setQuantity(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                focusScan();
              }
            }}
            {...CODE_TEXT}
          />
          <button
            type="button"
            className="button button-secondary"
            onClick={() => step(1)}
            aria-label="One more"
          >
            +
          </button>
        </div>
      </div>

      {prompt && (
        <form className="counter-tracked" onSubmit={onTracked} aria-label="Lot or serial">
          <p className="strong">
            {prompt.item.name} ({prompt.item.item_code}) is{' '}
            {prompt.item.tracking === 'serial' ? 'serial-tracked' : 'lot-tracked'}.
          </p>
          <label htmlFor="tracked-value">{prompt.item.tracking === 'serial' ? 'Serial number' : 'Lot'}</label>
          <input
            id="tracked-value"
            ref={trackRef}
            className="counter-scan-input"
            value={trackValue}
            onChange={(event) => setTrackValue(event.target.value)}
            {...CODE_TEXT}
          />
          <div className="form-actions">
            <button type="submit" className="button button-primary">
              Add
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setPrompt(null);
                setError(null);
                focusScan();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}

      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {added && !error && (
        <p className="counter-added" role="status">
          {added}
        </p>
      )}
      <CameraScanner label="Camera: item barcode" onCode={handleCode} />
    </section>
  );
}
