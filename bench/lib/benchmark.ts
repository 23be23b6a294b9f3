import type { Comparison } from './compare.ts';
import type { Settings } from './settings.ts';
import type { WorkComparison } from './work.ts';

/** What a benchmark measured: HTTP requests per second (compare.ts) or other work per second. */
export type BenchResult = Comparison | WorkComparison;

export interface BenchContext {
  settings: Settings;
  /** A fresh temp dir for this benchmark (data dirs, server logs). */
  workdir: string;
  /** Where the product writes its CPU profile, when BENCH_PROFILE=1. */
  cpuProfileDir: string | null;
  log(line: string): void;
}

export interface Benchmark {
  /** Short id, as named on the command line. */
  name: string;
  /** One line: what is compared with what. */
  description: string;
  product: string;
  baseline: string;
  /** The product/baseline throughput ratio we aim for (each result's): printed, never asserted. */
  aim: number;
  /** One result, or one per case (e.g. per database), each with its own ratio. */
  run(context: BenchContext): Promise<BenchResult | BenchResult[]>;
}

/** Undo steps run last-in first-out, each even if another failed; failures are reported, not thrown. */
export class Cleanup {
  readonly #steps: { label: string; step: () => Promise<void> }[] = [];

  add(label: string, step: () => Promise<void>): void {
    this.#steps.push({ label, step });
  }

  async run(): Promise<void> {
    for (const { label, step } of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(
          `  cleanup "${label}" failed: ${error instanceof Error ? error.message : error}\n`,
        );
      }
    }
  }
}
