/**
 * A benchmark whose throughput is not HTTP requests but some other work done per second (rows
 * imported, …): one measured figure per side, compared the same way as req/s.
 */

/** One side's measurement: `work` units done in `seconds`. */
export interface WorkFigure {
  work: number;
  seconds: number;
  /** work ÷ seconds */
  perSecond: number;
}

export interface WorkComparison {
  kind: 'work';
  /** Which case of the benchmark this is ('sqlite', 'postgres'); null when it has only one. */
  label: string | null;
  /** What is counted, plural ('rows'); throughput is shown as `<unit>/s`. */
  unit: string;
  product: WorkFigure;
  baseline: WorkFigure;
  /** product per second ÷ baseline per second. */
  ratio: number;
  /** Printed under the figures (peak RSS, CPU, phases): facts, not verdicts. */
  notes: string[];
  /** False when either side did not do the work it was given (the figures measure a failure). */
  valid: boolean;
  problems: string[];
}

export function workFigure(work: number, seconds: number): WorkFigure {
  return { work, seconds, perSecond: seconds > 0 ? work / seconds : 0 };
}

export function workComparison(options: {
  label: string | null;
  unit: string;
  product: WorkFigure;
  baseline: WorkFigure;
  notes?: string[];
  problems?: string[];
}): WorkComparison {
  const problems = options.problems ?? [];
  return {
    kind: 'work',
    label: options.label,
    unit: options.unit,
    product: options.product,
    baseline: options.baseline,
    ratio: options.baseline.perSecond > 0 ? options.product.perSecond / options.baseline.perSecond : 0,
    notes: options.notes ?? [],
    valid: problems.length === 0,
    problems,
  };
}
