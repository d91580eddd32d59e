/**
 * `npm run bench [-- [--quick] [name …]]`: runs the benchmarks one after another (never in parallel: they
 * compare against this machine's raw limits measured in the same run) and prints one table.
 * Sizes: --quick, or env BENCH_* (see docs/performance.md).
 */
import type { Bench, BenchContext } from './lib/bench.js';
import { within } from './lib/stats.js';
import { printTable, type BenchRow } from './lib/table.js';
import { logCapture } from './log-capture.bench.js';
import { upstreamReplay } from './upstream-replay.bench.js';
import { idleFootprint } from './idle-footprint.bench.js';
import { samplingCost } from './sampling-cost.bench.js';
import { apiQuery } from './api-query.bench.js';
import { dispatch } from './dispatch.bench.js';
import { fanOut } from './fan-out.bench.js';
import { registerStorm } from './register-storm.bench.js';
import { machineFlood } from './machine-flood.bench.js';
import { hostileConnections } from './hostile-connections.bench.js';
import { apiBurst } from './api-burst.bench.js';

const benches: readonly Bench[] = [logCapture, upstreamReplay, samplingCost, idleFootprint, apiQuery, dispatch, fanOut, registerStorm, machineFlood, hostileConnections, apiBurst];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !benches.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`);
  const chosen = names.length > 0 ? benches.filter((b) => names.includes(b.name)) : benches;
  const t0 = Date.now();
  const ctx: BenchContext = { quick, note: (msg) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`) };
  const rows: BenchRow[] = [];
  let failed = false;
  for (const bench of chosen) {
    try {
      rows.push(...(await within(bench.run(ctx), bench.budgetMs(ctx), bench.name)));
    } catch (err) {
      failed = true;
      ctx.note(`${bench.name} failed: ${(err as Error).stack ?? String(err)}`);
      rows.push({ what: `${bench.name}: FAILED`, flowhost: '—', raw: '—', ratio: '—', target: '—', met: false });
    }
  }
  process.stdout.write(`\n${printTable(rows)}\n\n(${chosen.length} benches in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${quick ? 'quick' : 'full'} sizes)\n`);
  process.exitCode = failed ? 1 : 0;
}

await main();
// Benches close what they start; a handle left by a failed one must not keep the run alive.
process.exit(process.exitCode ?? 0);
