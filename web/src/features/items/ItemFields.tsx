import type { AbcClass, Item, Tracking } from '../../api/types.ts';
import { decimalText, parseDecimal } from '../../ui/format.ts';
import { CODE_TEXT, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import type { ItemInput } from './api.ts';

/** The item form as typed: every field is text until it is sent. */
export interface ItemDraft {
  item_code: string;
  name: string;
  category: string;
  sub_category: string;
  base_uom: string;
  unit_cost: string;
  mrp: string;
  abc_class: AbcClass | '';
  tracking: Tracking;
}

export const EMPTY_DRAFT: ItemDraft = {
  item_code: '',
  name: '',
  category: '',
  sub_category: '',
  base_uom: 'EA',
  unit_cost: '',
  mrp: '',
  abc_class: '',
  tracking: 'none',
};

export function draftOf(item: Item): ItemDraft {
  return {
    item_code: item.item_code,
    name: item.name,
    category: item.category ?? '',
    sub_category: item.sub_category ?? '',
    base_uom: item.base_uom,
    unit_cost: decimalText(item.unit_cost),
    mrp: decimalText(item.mrp),
    abc_class: item.abc_class ?? '',
    tracking: item.tracking,
  };
}

export type DraftErrors = Partial<Record<keyof ItemDraft, string>>;

/**
 * The request body for a draft: everything for a new item, only what changed for an existing one.
 * Decimal fields that do not parse are reported here, before anything is sent.
 */
export function inputOf(draft: ItemDraft, original?: Item): { input: ItemInput; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const unitCost = parseDecimal(draft.unit_cost, 4);
  const mrp = parseDecimal(draft.mrp, 4);
  if (typeof unitCost === 'object' && unitCost !== null) errors.unit_cost = unitCost.error;
  if (typeof mrp === 'object' && mrp !== null) errors.mrp = mrp.error;
  const optional = (text: string) => text.trim() || null;
  const full: ItemInput = {
    name: draft.name.trim(),
    category: optional(draft.category),
    sub_category: optional(draft.sub_category),
    base_uom: draft.base_uom.trim(),
    unit_cost: typeof unitCost === 'number' ? unitCost : 0,
    mrp: typeof mrp === 'number' ? mrp : null,
    abc_class: draft.abc_class || null,
    tracking: draft.tracking,
  };
  if (!original) return { input: { item_code: draft.item_code.trim(), ...full }, errors };

  const before = inputOf(draftOf(original)).input as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(full)) if (before[key] !== value) changes[key] = value;
  return { input: changes as ItemInput, errors };
}

/** The item's fields, for the new-item form and the edit form alike. */
export function ItemFields(props: {
  draft: ItemDraft;
  onChange: (draft: ItemDraft) => void;
  error: unknown;
  localErrors: DraftErrors;
  isNew: boolean;
}) {
  const { draft, onChange, error, localErrors, isNew } = props;
  const set =
    (key: keyof ItemDraft) =>
    (event: { target: { value: string } }): void =>
      onChange({ ...draft, [key]: event.target.value });
  const err = (key: keyof ItemDraft) => localErrors[key] ?? fieldError(error, key);

  return (
    <div className="form-grid">
      {isNew && (
        <TextField
          label="Item code"
          required
          {...CODE_TEXT}
          autoCapitalize="characters"
          maxLength={64}
          value={draft.item_code}
          onChange={set('item_code')}
          hint="The ERP's code; it cannot be changed later."
          error={err('item_code')}
        />
      )}
      <TextField
        label="Name"
        required
        autoComplete="off"
        maxLength={200}
        value={draft.name}
        onChange={set('name')}
        error={err('name')}
      />
      <TextField
        label="Category"
        {...CODE_TEXT}
        maxLength={100}
        value={draft.category}
        onChange={set('category')}
        error={err('category')}
      />
      <TextField
        label="Sub-category"
        {...CODE_TEXT}
        maxLength={100}
        value={draft.sub_category}
        onChange={set('sub_category')}
        error={err('sub_category')}
      />
      <TextField
        label="Base unit"
        required
        {...CODE_TEXT}
        autoCapitalize="characters"
        maxLength={16}
        value={draft.base_uom}
        onChange={set('base_uom')}
        hint="EA, KG, BOX…"
        error={err('base_uom')}
      />
      <TextField
        label="Unit cost"
        required
        inputMode="decimal"
        {...CODE_TEXT}
        value={draft.unit_cost}
        onChange={set('unit_cost')}
        error={err('unit_cost')}
      />
      <TextField
        label="MRP (optional)"
        inputMode="decimal"
        {...CODE_TEXT}
        value={draft.mrp}
        onChange={set('mrp')}
        hint="Maximum retail price."
        error={err('mrp')}
      />
      <SelectField
        label="ABC class"
        value={draft.abc_class}
        onChange={set('abc_class')}
        error={err('abc_class')}
      >
        <option value="">Not set</option>
        <option value="A">A</option>
        <option value="B">B</option>
        <option value="C">C</option>
      </SelectField>
      <SelectField label="Tracking" value={draft.tracking} onChange={set('tracking')} error={err('tracking')}>
        <option value="none">None</option>
        <option value="lot">By lot</option>
        <option value="serial">By serial number</option>
      </SelectField>
    </div>
  );
}

/** How many base units one scan of a barcode counts: a decimal (up to 3 places); empty means 1. */
export function PackSizeField(props: {
  value: string;
  onChange: (text: string) => void;
  hint: string;
  error: string | undefined;
}) {
  const { value, onChange, hint, error } = props;
  return (
    <TextField
      label="Pack size"
      inputMode="decimal"
      autoComplete="off"
      placeholder="1"
      value={value}
      onChange={(event) => onChange(event.target.value)}
      hint={hint}
      error={error}
    />
  );
}

/** The pack size typed, null when empty, or why it is not one. */
export const parsePackSize = (text: string) => parseDecimal(text, 3);
