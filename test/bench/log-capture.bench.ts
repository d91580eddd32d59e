import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckingOrchestrator } from './lib/acking-orchestrator.js';
import { startAgentProcess } from './lib/agent-process.js';
import { setting, type Bench } from './lib/bench.js';
import { watchRss } from './lib/proc.js';
import { alternate, nowMs } from './lib/stats.js';
import { fmt, pct } from './lib/table.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Masking on: the session has a secret input, so every read of the flow's output passes the masker. */
const SECRET = { inputs: JSON.stringify({ password: 'correct-horse-battery-staple' }), secretInputs: ['password'] };

/** The flow's own wall time, as line-writer.mjs wrote it to `file`. */
const flowMs = (file: string): number => (JSON.parse(readFileSync(file, 'utf8')) as { ms: number }).ms;

/** Raw: a bare Node parent (pipe-reader.mjs) spawning the same writer and counting lines. Lines/s, and the writer's wall time. */
async function rawPipe(lines: number, timeFile: string): Promise<{ rate: number; flowMs: number }> {
  const child = spawn(process.execPath, [fixture('pipe-reader.mjs'), String(lines), timeFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'close');
  const r = JSON.parse(out) as { lines: number; ms: number };
  if (r.lines !== lines) throw new Error(`raw reader counted ${r.lines} of ${lines} lines`);
  return { rate: r.lines / (r.ms / 1000), flowMs: flowMs(timeFile) };
}

/**
 * Log capture: a flow writes N MiB of 60-byte lines; the real Agent (own process) splits, masks (a secret input),
 * numbers and stores them as chunks in its SQLite store and uploads them; a lean acking gateway counts them. Timed
 * from assign to the `completed` event (all lines stored and sent, acked in the same turn). The flow's own wall time
 * (1,000,000 lines) under flowhost against the same writer into the bare reader.
 */
export const logCapture: Bench = {
  name: 'log-capture',
  budgetMs: (ctx) => 90_000 + setting('BENCH_LOG_MIB', ctx, 32, 512) * 1500,
  async run(ctx) {
    const mib = setting('BENCH_LOG_MIB', ctx, 32, 512);
    const lines = Math.round((mib * 1_048_576) / 60);
    const million = setting('BENCH_LOG_FLOW_LINES', ctx, 1_000_000, 1_000_000);
    const tmp = mkdtempSync(join(tmpdir(), 'bench-log-'));
    const timeFile = join(tmp, 'flow-time.json');
    const orch = await AckingOrchestrator.start();
    const agent = await startAgentProcess({ orchestratorUrl: orch.url, credentials: orch.credentials });
    let lost = 0;
    const peaks: number[] = [];
    try {
      const capture = async (n: number) => {
        ctx.note(`log-capture: flowhost, ${((n * 60) / 1_048_576).toFixed(0)} MiB (${n} lines), masking on`);
        const rss = watchRss(agent.pid);
        const t0 = nowMs();
        const r = await orch.run({ schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('line-writer.mjs'), String(n), timeFile] }, SECRET);
        const ms = nowMs() - t0;
        peaks.push(rss.stop());
        if (r.statuscode !== 4) throw new Error(`the flow ended with status ${r.statuscode}`);
        lost = Math.max(lost, n - r.lines + r.gaps);
        return { rate: n / (ms / 1000), flowMs: flowMs(timeFile) };
      };
      // Memory must not grow with the volume: the peak of a run 1/4 the size is the reference.
      await capture(Math.round(lines / 4));
      const smallPeak = peaks.pop()!;
      const m = await alternate(setting('BENCH_LOG_ROUNDS', ctx, 2, 1), async () => (await capture(lines)).rate, async () => (await rawPipe(lines, timeFile)).rate);
      const peak = Math.max(...peaks);
      ctx.note(`log-capture: a flow printing ${million} lines, its wall time`);
      const wall = await alternate(1, async () => (await capture(million)).flowMs, async () => (await rawPipe(million, timeFile)).flowMs);
      return [
        { what: `log capture ${mib} MiB, masking on (lines/s) vs bare pipe`, flowhost: fmt(m.flowhost), raw: fmt(m.raw), ratio: pct(m.flowhost / m.raw), target: '≥ 25 %', met: m.flowhost / m.raw >= 0.25 },
        { what: 'log capture: lines lost', flowhost: String(lost), raw: '0', ratio: '—', target: '0', met: lost === 0 },
        { what: `log capture: agent peak RSS MiB (${mib} vs ${mib / 4} MiB)`, flowhost: fmt(peak), raw: fmt(smallPeak), ratio: `${(peak / smallPeak).toFixed(2)}×`, target: '≤ 1.25× (bounded)', met: peak / smallPeak <= 1.25 },
        { what: `flow printing ${fmt(million)} lines: its wall time (ms) vs into the bare reader`, flowhost: fmt(wall.flowhost), raw: fmt(wall.raw), ratio: `${(wall.flowhost / wall.raw).toFixed(2)}×`, target: '≤ 1.3×', met: wall.flowhost / wall.raw <= 1.3 },
      ];
    } finally {
      await agent.stop();
      await orch.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
