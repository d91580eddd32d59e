import type { BenchRow } from './table.js';

export interface BenchContext {
  /** Smaller sizes and shorter windows (`--quick`). */
  readonly quick: boolean;
  /** Progress notes (stderr), so a long run shows where it is. */
  readonly note: (msg: string) => void;
}

export interface Bench {
  readonly name: string;
  /** Upper bound of the bench's wall time; run.ts aborts it past this. */
  readonly budgetMs: (ctx: BenchContext) => number;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** A numeric setting from the environment (e.g. BENCH_LOG_MIB), else the quick or the full default. */
export function setting(name: string, ctx: BenchContext, quick: number, full: number): number {
  const v = process.env[name];
  if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
  return ctx.quick ? quick : full;
}
