import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { callApi } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import type { ApiClient } from '../support/api-harness.js';
import { runFlow } from './lib/real-orchestrator.js';
import { setting, type Bench, type BenchContext } from './lib/bench.js';
import { seedFanout, type FanoutSeed } from './lib/fanout-seed.js';
import { jsonField, startLineChild, type LineChild } from './lib/line-child.js';
import { cpuMs, rssMiB, watchRss } from './lib/proc.js';
import { median, percentile } from './lib/stats.js';
import { fmt, type BenchRow } from './lib/table.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ORCHESTRATOR_MAIN = here('./fanout-orchestrator-main.ts');
const CLIENTS_MAIN = here('./fanout-clients-main.ts');
const BARE_SERVER = here('./fixtures/bare-ws-server.mjs');
const PER_PROCESS = 2000;

/** Wall-clock ms with sub-ms resolution, comparable across the processes of this host. */
const wallMs = () => performance.timeOrigin + performance.now();

interface Fleet {
  readonly clients: LineChild[];
  /** Seconds from the first connect to the last welcome (or open, for bare sockets). */
  readonly connectS: number;
}

/** Starts ⌈ids/2000⌉ client processes and waits until every one of them connected its share. */
async function startFleet(mode: 'lean' | 'bare', baseUrl: string, ids: readonly string[], credential: string, idsDir: string, onLine: (line: string) => void): Promise<Fleet> {
  const t0 = wallMs();
  const clients: LineChild[] = [];
  for (let i = 0; i < ids.length; i += PER_PROCESS) {
    // The ids go through a file: 2,000 GUIDs do not belong on a command line.
    const idsFile = join(idsDir, `ids-${mode}-${i}.json`);
    writeFileSync(idsFile, JSON.stringify(ids.slice(i, i + PER_PROCESS)));
    const child = startLineChild(CLIENTS_MAIN, [JSON.stringify({ mode, baseUrl, idsFile, credential, concurrency: 32 })]);
    child.onLine(onLine);
    clients.push(child);
  }
  await Promise.all(clients.map((c) => c.waitFor((l) => jsonField<number>(l, 'connected'), 300_000, `${mode} clients connected`)));
  return { clients, connectS: (wallMs() - t0) / 1000 };
}

async function openSockets(clients: readonly LineChild[]): Promise<number> {
  const counts = await Promise.all(
    clients.map((c) => {
      const answer = c.waitFor((l) => jsonField<number>(l, 'open'), 10_000, 'open count');
      c.write('count');
      return answer;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** The raw side: a bare `ws` server holding as many sockets, pinged at the same interval. Returns its RSS (MiB) and connect time. */
async function bareFanout(agents: number, heartbeatMs: number, idsDir: string): Promise<{ rss: number; connectS: number; open: number }> {
  const server = startLineChild(BARE_SERVER, [String(heartbeatMs)]);
  let fleet: Fleet | undefined;
  try {
    const port = await server.waitFor((l) => (/^\d+$/.test(l) ? Number(l) : undefined), 10_000, 'bare server');
    fleet = await startFleet('bare', `ws://127.0.0.1:${port}`, Array.from({ length: agents }, String), '', idsDir, () => {});
    await sleep(2 * heartbeatMs);
    return { rss: rssMiB(server.pid), connectS: fleet.connectS, open: await openSockets(fleet.clients) };
  } finally {
    await Promise.all(fleet?.clients.map((c) => c.stop()) ?? []);
    await server.stop();
  }
}

/**
 * Sends `sessions` RunDesktopFlow requests in an open loop: request i leaves at i / rate whatever the answers before
 * it, so the latency measured is not queueing behind the client. Returns each session's send time.
 */
async function sendSessions(api: ApiClient, seed: FanoutSeed, sessions: number, rate: number, ctx: BenchContext): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  const start = wallMs();
  const requests: Promise<void>[] = [];
  for (let i = 0; i < sessions; i++) {
    const due = start + (i * 1000) / rate;
    if (due > wallMs()) await sleep(due - wallMs());
    const t0 = wallMs();
    requests.push(runFlow(api, seed.workflowId, { machineGroupId: seed.groupId }).then((id) => void created.set(id, t0)));
  }
  const sentS = (wallMs() - start) / 1000;
  await Promise.all(requests);
  ctx.note(`fan-out: ${sessions} requests sent in ${sentS.toFixed(1)} s, answered in ${((wallMs() - start) / 1000).toFixed(1)} s`);
  return created;
}

/**
 * Orchestrator fan-out: N simulated agents (lean protocol clients in ⌈N/2000⌉ processes, heartbeats on) connected to
 * the real orchestrator in its own process; M sessions queued over the Web API (RunDesktopFlow, an open-loop
 * arrival of R per second) and the latency from each request to the `assign` at its agent. Raw: a bare ws server
 * holding the same sockets.
 */
export const fanOut: Bench = {
  name: 'fan-out',
  budgetMs: (ctx) => (ctx.quick ? 180_000 : 900_000),
  async run(ctx) {
    const agents = setting('BENCH_FANOUT_AGENTS', ctx, 1000, 10_000);
    const sessions = setting('BENCH_FANOUT_SESSIONS', ctx, 100, 1000);
    const heartbeatMs = setting('BENCH_FANOUT_HEARTBEAT_MS', ctx, 2000, 5000);
    const rate = setting('BENCH_FANOUT_RATE', ctx, 50, 50);
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-bench-fanout-'));
    ctx.note(`fan-out: seeding ${agents} machines`);
    const seed = await seedFanout(dataDir, agents);
    const profile = process.env['BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}`] : [];
    const orch = startLineChild(ORCHESTRATOR_MAIN, [JSON.stringify({ dataDir, heartbeatIntervalMs: heartbeatMs })], profile);
    const assigns = new Map<string, number>();
    let dropped = 0;
    let fleet: Fleet | undefined;
    try {
      const { url, token } = await orch.waitFor((l) => (jsonField<string>(l, 'url') ? (JSON.parse(l) as { url: string; token: string }) : undefined), 60_000, 'orchestrator start');
      const api = { api: (m: string, p: string, b?: unknown, h?: Record<string, string>) => callApi(url, token, m, p, b, h) };
      const rss = watchRss(orch.pid, 250);
      ctx.note(`fan-out: connecting ${agents} agents (${Math.ceil(agents / PER_PROCESS)} processes), heartbeat ${heartbeatMs} ms`);
      fleet = await startFleet('lean', url, seed.machineIds, seed.credential, dataDir, (line) => {
        const assign = jsonField<[string, number]>(line, 'assign');
        if (assign) assigns.set(assign[0], assign[1]);
        if (jsonField(line, 'closed')) dropped++;
      });
      const connectS = fleet.connectS;
      ctx.note(`fan-out: all connected in ${connectS.toFixed(1)} s; two heartbeats, then ${sessions} sessions`);
      await sleep(2 * heartbeatMs);

      const cpu = () => ({ orch: cpuMs(orch.pid), clients: fleet!.clients.reduce((sum, c) => sum + cpuMs(c.pid), 0) });
      const cpu0 = cpu();
      const created = await sendSessions(api, seed, sessions, rate, ctx);
      await waitFor(() => [...created.keys()].every((id) => assigns.has(id)), { what: 'every session assigned', timeoutMs: 120_000, intervalMs: 50 });
      const latency = [...created].map(([id, t0]) => assigns.get(id)! - t0);
      const cpu1 = cpu();
      ctx.note(`fan-out: ${sessions} assigned (CPU s meanwhile: orchestrator ${((cpu1.orch - cpu0.orch) / 1000).toFixed(1)}, clients ${((cpu1.clients - cpu0.clients) / 1000).toFixed(1)}); two more heartbeats`);
      await sleep(2 * heartbeatMs);
      const open = await openSockets(fleet.clients);
      const apiConnected = Number((await api.api('GET', 'flowmachines/$count?$filter=connected eq true')).text);
      const peak = rss.stop();

      ctx.note('fan-out: raw (bare ws server, same sockets)');
      await Promise.all(fleet.clients.map((c) => c.stop()));
      fleet = undefined;
      const bare = await bareFanout(agents, heartbeatMs, dataDir);
      return [
        { what: `fan-out ${fmt(agents)} agents: connected at the end (clients / API)`, flowhost: `${open} / ${apiConnected}`, raw: String(bare.open), ratio: `${dropped} drops`, target: `all ${agents}`, met: open === agents && apiConnected === agents && dropped === 0 },
        { what: `fan-out: connect all (s)`, flowhost: fmt(connectS), raw: fmt(bare.connectS), ratio: '—', target: '(info)', met: undefined },
        { what: `fan-out: assign p50 ms (API → assign), ${sessions} sessions at ${rate}/s`, flowhost: median(latency).toFixed(1), raw: '—', ratio: '—', target: '(info)', met: undefined },
        { what: 'fan-out: assign p99 ms', flowhost: percentile(latency, 99).toFixed(1), raw: '—', ratio: '—', target: '< 100 ms', met: percentile(latency, 99) < 100 },
        { what: `fan-out: orchestrator peak RSS MiB vs bare ws server`, flowhost: peak.toFixed(0), raw: bare.rss.toFixed(0), ratio: `${(peak / bare.rss).toFixed(1)}×`, target: '< 1024 MiB', met: peak < 1024 },
      ] satisfies BenchRow[];
    } finally {
      await Promise.all(fleet?.clients.map((c) => c.stop()) ?? []);
      await orch.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
