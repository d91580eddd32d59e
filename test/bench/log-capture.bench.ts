import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AckingOrchestrator } from './lib/acking-orchestrator.js';
import { startAgentProcess } from './lib/agent-process.js';
import { setting, type Bench } from './lib/bench.js';
import { watchRss } from './lib/proc.js';
import { sqliteLineCeiling } from './lib/sqlite-ceiling.js';
import { alternate, nowMs } from './lib/stats.js';
import { fmt, pct } from './lib/table.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Raw: a bare Node parent (pipe-reader.mjs) spawning the same writer and counting lines. Returns lines/s. */
async function rawPipe(lines: number): Promise<number> {
  const child = spawn(process.execPath, [fixture('pipe-reader.mjs'), String(lines)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'close');
  const r = JSON.parse(out) as { lines: number; ms: number };
  if (r.lines !== lines) throw new Error(`raw reader counted ${r.lines} of ${lines} lines`);
  return r.lines / (r.ms / 1000);
}

/**
 * Log capture: a flow writes N MiB of 60-byte lines; the real Agent (own process) splits, masks, numbers and
 * commits them to its SQLite store and uploads them; a lean acking gateway counts them. Timed from assign to
 * the `completed` event (all lines stored and sent, acked in the same turn).
 */
export const logCapture: Bench = {
  name: 'log-capture',
  budgetMs: (ctx) => 60_000 + setting('BENCH_LOG_MIB', ctx, 32, 512) * 1000,
  async run(ctx) {
    const mib = setting('BENCH_LOG_MIB', ctx, 32, 512);
    const lines = Math.round((mib * 1_048_576) / 60);
    const orch = await AckingOrchestrator.start();
    const agent = await startAgentProcess({ orchestratorUrl: orch.url, credentials: orch.credentials });
    let lost = 0;
    const peaks: number[] = [];
    try {
      const capture = async (n: number) => {
        ctx.note(`log-capture: flowhost, ${((n * 60) / 1_048_576).toFixed(0)} MiB (${n} lines)`);
        const rss = watchRss(agent.pid);
        const t0 = nowMs();
        const r = await orch.run({ schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('line-writer.mjs'), String(n)] });
        const ms = nowMs() - t0;
        peaks.push(rss.stop());
        if (r.statuscode !== 4) throw new Error(`the flow ended with status ${r.statuscode}`);
        lost = Math.max(lost, n - r.lines + r.gaps);
        return n / (ms / 1000);
      };
      // Memory must not grow with the volume: the peak of a run 1/8 the size is the reference.
      await capture(Math.round(lines / 8));
      const smallPeak = peaks.pop()!;
      const m = await alternate(setting('BENCH_LOG_ROUNDS', ctx, 2, 1), () => capture(lines), () => rawPipe(lines));
      const peak = Math.max(...peaks);
      ctx.note('log-capture: bare SQLite ceiling');
      const ceiling = sqliteLineCeiling(Math.min(lines, 2_000_000));
      return [
        { what: `log capture ${mib} MiB (lines/s) vs bare pipe`, flowhost: fmt(m.flowhost), raw: fmt(m.raw), ratio: pct(m.flowhost / m.raw), target: '≥ 70 %', met: m.flowhost / m.raw >= 0.7 },
        { what: 'log capture vs bare SQLite insert (ceiling)', flowhost: fmt(m.flowhost), raw: fmt(ceiling), ratio: pct(m.flowhost / ceiling), target: '(info)', met: undefined },
        { what: 'log capture: lines lost', flowhost: String(lost), raw: '0', ratio: '—', target: '0', met: lost === 0 },
        { what: `log capture: agent peak RSS MiB (${mib} vs ${mib / 8} MiB)`, flowhost: fmt(peak), raw: fmt(smallPeak), ratio: `${(peak / smallPeak).toFixed(2)}×`, target: '≤ 1.25× (bounded)', met: peak / smallPeak <= 1.25 },
      ];
    } finally {
      await agent.stop();
      await orch.close();
    }
  },
};
