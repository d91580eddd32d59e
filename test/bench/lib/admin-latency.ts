import { fileURLToPath } from 'node:url';
import type { TestOrchestrator } from '../../support/orchestrator-harness.js';
import { jsonField, startLineChild } from './line-child.js';
import { percentile } from './stats.js';
import type { BenchRow } from './table.js';

const HOSTILE_MAIN = fileURLToPath(new URL('../hostile-load-main.ts', import.meta.url));

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
}

/**
 * `count` admin API reads one after another (a session list, as a status page polls it) from a process of their
 * own (keep-alive, like a browser): their p50 and p99 in ms.
 */
export async function adminLatency(orch: Pick<TestOrchestrator, 'url' | 'token'>, count: number): Promise<Latency> {
  const child = startLineChild(HOSTILE_MAIN, [JSON.stringify({ mode: 'probe', baseUrl: orch.url, token: orch.token, count })]);
  try {
    const ms = await child.waitFor((l) => jsonField<number[]>(l, 'latency'), 120_000, 'admin API probe');
    return { p50: percentile(ms, 50), p99: percentile(ms, 99), count };
  } finally {
    await child.stop();
  }
}

/** The two rows of a latency figure under load against idle: p50 and p99, each with its ratio and the 2× target. */
export function latencyRows(label: string, loaded: Latency, idle: Latency): BenchRow[] {
  return (['p50', 'p99'] as const).map((p) => ({
    what: `admin API ${p} ms ${label} (raw: idle, same run)`,
    flowhost: loaded[p].toFixed(2),
    raw: idle[p].toFixed(2),
    ratio: `${(loaded[p] / idle[p]).toFixed(2)}×`,
    target: '≤ 2× idle',
    met: loaded[p] <= 2 * idle[p],
  }));
}
