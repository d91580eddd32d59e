import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OrchestratorProcess } from '../support/orchestrator-process.js';
import { BURST_CYCLE, burstKinds, sendBurst, type BurstAnswer } from '../reliability/support/api-burst-load.js';
import { setting, type Bench, type BenchContext } from './lib/bench.js';
import { rssMiB } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { fmt, type BenchRow } from './lib/table.js';

const TOKEN = 'bench-burst-admin-token-0123456789';
const PASSWORD = 'group-password-1';

/** A bare node:http server in a child process answering every request with a small JSON body: this machine's HTTP floor. */
const BARE_SERVER = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.setHeader('content-type', 'application/json'); s.end('{"value":[]}'); }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

interface BurstFigures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function timed(run: () => Promise<BurstAnswer[]>): Promise<BurstFigures> {
  const t0 = performance.now();
  const answers = await run();
  const ms = answers.map((a) => a.ms);
  return { perSecond: (answers.length * 1000) / (performance.now() - t0), p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/**
 * The figures the api-burst test used to print: the rate and latency of its mixed burst (collection and by-id GETs,
 * session creation, bad requests; `inFlight` at a time on keep-alive) against the real orchestrator in a child
 * process, and its RSS growth; the raw reference is the same burst against a bare node:http server in the same run.
 */
export const apiBurst: Bench = {
  name: 'api-burst',
  budgetMs: () => 240_000,
  async run(ctx: BenchContext) {
    const total = setting('BENCH_BURST_REQUESTS', ctx, 2000, 10_000);
    const inFlight = setting('BENCH_BURST_IN_FLIGHT', ctx, 100, 100);
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-bench-burst-'));
    const orch = await OrchestratorProcess.start({ dataDir, adminToken: TOKEN });
    const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const created = async (set: string, body: unknown): Promise<string> => {
        const res = await orch.api('POST', set, body, { prefer: 'return=representation' });
        if (res.status !== 201) throw new Error(`${set}: ${res.status} ${res.text}`);
        return String(res.json[`${set.slice(0, -1)}id`]);
      };
      const group = await created('flowmachinegroups', { name: 'workers', password: PASSWORD });
      const parked = await created('flowmachinegroups', { name: 'parked', password: PASSWORD });
      const workflow = await created('workflows', { name: 'hello', clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) });
      const kinds = burstKinds({ workflow, group, parked });
      const barePort = await new Promise<string>((resolve) => createInterface({ input: bare.stdout! }).once('line', resolve));
      const bareUrl = `http://127.0.0.1:${barePort}`;

      await sendBurst(orch.url, TOKEN, kinds, BURST_CYCLE * 10, inFlight); // warm-up
      await sendBurst(bareUrl, TOKEN, kinds, BURST_CYCLE * 10, inFlight);
      const rssBefore = orch.rss();
      const flowhost = await timed(() => sendBurst(orch.url, TOKEN, kinds, total, inFlight));
      const rssAfter = orch.rss();
      const raw = await timed(() => sendBurst(bareUrl, TOKEN, kinds, total, inFlight));
      const bareRss = rssMiB(bare.pid!);
      ctx.note(`api-burst: ${total} requests, ${inFlight} in flight: ${fmt(flowhost.perSecond)}/s (bare ${fmt(raw.perSecond)}/s); p50 ${flowhost.p50.toFixed(1)} p99 ${flowhost.p99.toFixed(1)} ms`);
      const rows: BenchRow[] = [
        { what: `Web API burst req/s, ${total} mixed requests, ${inFlight} in flight (raw: bare node:http, same run)`, flowhost: fmt(flowhost.perSecond), raw: fmt(raw.perSecond), ratio: `${((flowhost.perSecond / raw.perSecond) * 100).toFixed(1)} %`, target: '(info)', met: undefined },
        ...(['p50', 'p99'] as const).map((p) => ({ what: `Web API burst ${p} ms (raw: bare node:http)`, flowhost: flowhost[p].toFixed(1), raw: raw[p].toFixed(1), ratio: `${(flowhost[p] / raw[p]).toFixed(1)}×`, target: '(info)', met: undefined })),
        { what: `orchestrator RSS MiB after the burst (raw: before it; the bare server ${bareRss.toFixed(0)} MiB)`, flowhost: (rssAfter / 1_048_576).toFixed(1), raw: (rssBefore / 1_048_576).toFixed(1), ratio: `${(rssAfter / rssBefore).toFixed(2)}×`, target: '(info)', met: undefined },
      ];
      return rows;
    } finally {
      bare.kill();
      await orch.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
