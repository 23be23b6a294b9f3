import { fromScaled, MONEY_SCALE, QUANTITY_SCALE, toScaled } from '../../../platform/decimal.ts';
import { AppError, badRequest } from '../../../platform/http/errors.ts';

/**
 * A session's tolerance profile (product.md section 3, step 4): how large a variance may be and
 * still count as a match. Stored as JSON in count_sessions.tolerance with every figure a scaled
 * integer, so the variance check is exact integer arithmetic:
 *
 * - `qty_abs_e3`   absolute quantity, thousandths of the base unit;
 * - `qty_pct_e3`   quantity as a percentage of the book quantity, thousandths of a percent
 *                  (2.5 % → 2500);
 * - `value_abs_e4` absolute value (variance × unit cost), ten-thousandths of the currency;
 * - `value_pct_e3` value as a percentage of the book value, thousandths of a percent.
 *
 * A rule may leave any figure out. Rules nest: one per item-location, then one per ABC class,
 * then the session default; `toleranceFor` resolves each figure separately from the most
 * specific rule that sets it. A figure no rule sets is null: that axis is not a tolerance at all
 * (so an empty profile accepts exact matches only — whoever decides lines should treat "no figure
 * set" as zero tolerance, never as unlimited).
 */
export interface ToleranceRule {
  qty_abs_e3?: number;
  qty_pct_e3?: number;
  value_abs_e4?: number;
  value_pct_e3?: number;
  /** Within tolerance → auto-approved. Unset everywhere: true. */
  auto_approve?: boolean;
}

export interface ItemLocationTolerance extends ToleranceRule {
  item_id: string;
  location_id: string;
}

export interface ToleranceProfile extends ToleranceRule {
  by_abc: { A?: ToleranceRule; B?: ToleranceRule; C?: ToleranceRule };
  by_item_location: ItemLocationTolerance[];
}

export interface EffectiveTolerance {
  qty_abs_e3: number | null;
  qty_pct_e3: number | null;
  value_abs_e4: number | null;
  value_pct_e3: number | null;
  auto_approve: boolean;
}

/** The thresholds that apply to one line: per figure, item-location rule, then ABC class, then session default. */
export function toleranceFor(
  profile: ToleranceProfile,
  line: { item_id: string; location_id: string; abc_class: 'A' | 'B' | 'C' | null },
): EffectiveTolerance {
  const specific = profile.by_item_location.find(
    (rule) => rule.item_id === line.item_id && rule.location_id === line.location_id,
  );
  const byClass = line.abc_class ? profile.by_abc[line.abc_class] : undefined;
  const rules = [specific, byClass, profile].filter((rule): rule is ToleranceRule => rule !== undefined);
  const pick = <K extends keyof ToleranceRule>(key: K): ToleranceRule[K] | undefined =>
    rules.find((rule) => rule[key] !== undefined)?.[key];
  return {
    qty_abs_e3: pick('qty_abs_e3') ?? null,
    qty_pct_e3: pick('qty_pct_e3') ?? null,
    value_abs_e4: pick('value_abs_e4') ?? null,
    value_pct_e3: pick('value_pct_e3') ?? null,
    auto_approve: pick('auto_approve') ?? true,
  };
}

export function parseStoredTolerance(json: string): ToleranceProfile {
  const parsed = JSON.parse(json) as Partial<ToleranceProfile>;
  return { ...parsed, by_abc: parsed.by_abc ?? {}, by_item_location: parsed.by_item_location ?? [] };
}

// The API form: decimal numbers (or decimal strings), as everywhere else.

type Decimal = number | string;

export interface ToleranceRuleInput {
  qty_abs?: Decimal;
  qty_pct?: Decimal;
  value_abs?: Decimal;
  value_pct?: Decimal;
  auto_approve?: boolean;
}

export interface ToleranceInput extends ToleranceRuleInput {
  by_abc?: { A?: ToleranceRuleInput; B?: ToleranceRuleInput; C?: ToleranceRuleInput };
  by_item_location?: (ToleranceRuleInput & { item_id: string; location_id: string })[];
}

export interface ToleranceRuleView {
  qty_abs?: number;
  qty_pct?: number;
  value_abs?: number;
  value_pct?: number;
  auto_approve?: boolean;
}

export interface ToleranceView extends ToleranceRuleView {
  auto_approve: boolean;
  by_abc: { A?: ToleranceRuleView; B?: ToleranceRuleView; C?: ToleranceRuleView };
  by_item_location: (ToleranceRuleView & { item_id: string; location_id: string })[];
}

/** Percentages keep three decimals (thousandths of a percent). */
const PERCENT_SCALE = 3;

function figure(value: Decimal | undefined, scale: number, field: string): number | undefined {
  if (value === undefined) return undefined;
  const scaled = toScaled(value, scale);
  if (scaled === null) {
    throw badRequest(`${field} must be a decimal number with at most ${scale} decimal places`, [
      { field, message: `must be a decimal number with at most ${scale} decimal places` },
    ]);
  }
  if (scaled < 0)
    throw badRequest(`${field} must not be negative`, [{ field, message: 'must not be negative' }]);
  return scaled;
}

function parseRule(input: ToleranceRuleInput, prefix: string): ToleranceRule {
  const rule: ToleranceRule = {};
  const qtyAbs = figure(input.qty_abs, QUANTITY_SCALE, `${prefix}qty_abs`);
  const qtyPct = figure(input.qty_pct, PERCENT_SCALE, `${prefix}qty_pct`);
  const valueAbs = figure(input.value_abs, MONEY_SCALE, `${prefix}value_abs`);
  const valuePct = figure(input.value_pct, PERCENT_SCALE, `${prefix}value_pct`);
  if (qtyAbs !== undefined) rule.qty_abs_e3 = qtyAbs;
  if (qtyPct !== undefined) rule.qty_pct_e3 = qtyPct;
  if (valueAbs !== undefined) rule.value_abs_e4 = valueAbs;
  if (valuePct !== undefined) rule.value_pct_e3 = valuePct;
  if (input.auto_approve !== undefined) rule.auto_approve = input.auto_approve;
  return rule;
}

/**
 * Checks scale and sign of every figure (a 400 naming the field, e.g.
 * `tolerance.by_abc.A.qty_pct`) and refuses an item-location named twice. Whether the items and
 * locations exist is the service's check (it needs the database).
 */
export function parseTolerance(input: ToleranceInput | undefined): ToleranceProfile {
  const prefix = 'tolerance.';
  const profile: ToleranceProfile = {
    ...parseRule(input ?? {}, prefix),
    by_abc: {},
    by_item_location: [],
  };
  for (const abc of ['A', 'B', 'C'] as const) {
    const rule = input?.by_abc?.[abc];
    if (rule) profile.by_abc[abc] = parseRule(rule, `${prefix}by_abc.${abc}.`);
  }
  const seen = new Set<string>();
  (input?.by_item_location ?? []).forEach((rule, index) => {
    const key = `${rule.item_id}/${rule.location_id}`;
    if (seen.has(key)) {
      const field = `${prefix}by_item_location.${index}`;
      throw new AppError(400, 'VALIDATION_ERROR', `${field} names an item-location already listed`, [
        { field, message: 'names an item-location already listed' },
      ]);
    }
    seen.add(key);
    profile.by_item_location.push({
      item_id: rule.item_id,
      location_id: rule.location_id,
      ...parseRule(rule, `${prefix}by_item_location.${index}.`),
    });
  });
  return profile;
}

function ruleView(rule: ToleranceRule): ToleranceRuleView {
  const view: ToleranceRuleView = {};
  if (rule.qty_abs_e3 !== undefined) view.qty_abs = fromScaled(rule.qty_abs_e3, QUANTITY_SCALE);
  if (rule.qty_pct_e3 !== undefined) view.qty_pct = fromScaled(rule.qty_pct_e3, PERCENT_SCALE);
  if (rule.value_abs_e4 !== undefined) view.value_abs = fromScaled(rule.value_abs_e4, MONEY_SCALE);
  if (rule.value_pct_e3 !== undefined) view.value_pct = fromScaled(rule.value_pct_e3, PERCENT_SCALE);
  if (rule.auto_approve !== undefined) view.auto_approve = rule.auto_approve;
  return view;
}

export function toleranceView(profile: ToleranceProfile): ToleranceView {
  const byAbc: ToleranceView['by_abc'] = {};
  for (const abc of ['A', 'B', 'C'] as const) {
    const rule = profile.by_abc[abc];
    if (rule) byAbc[abc] = ruleView(rule);
  }
  return {
    ...ruleView(profile),
    auto_approve: profile.auto_approve ?? true,
    by_abc: byAbc,
    by_item_location: profile.by_item_location.map((rule) => ({
      item_id: rule.item_id,
      location_id: rule.location_id,
      ...ruleView(rule),
    })),
  };
}
