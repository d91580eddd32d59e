/** Small statistics and timing helpers for the benchmarks. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const nowMs = (): number => performance.now();

/**
 * Runs `flowhost` and `raw` alternately (raw, flowhost, raw, flowhost, …, raw) so both see the same machine
 * noise; returns the median of each. The extra trailing raw run brackets every flowhost run.
 */
export async function alternate(rounds: number, flowhost: () => Promise<number>, raw: () => Promise<number>): Promise<{ flowhost: number; raw: number; flowhostRuns: number[]; rawRuns: number[] }> {
  const f: number[] = [];
  const r: number[] = [await raw()];
  for (let i = 0; i < rounds; i++) {
    f.push(await flowhost());
    r.push(await raw());
  }
  return { flowhost: median(f), raw: median(r), flowhostRuns: f, rawRuns: r };
}

/** Rejects when `promise` does not settle within `ms` (every bench bounds its own time). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
