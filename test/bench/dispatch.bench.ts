import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { isTerminalStatus } from '../../shared/option-sets.js';
import { waitFor } from '../support/wait-for.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { startAgentProcess, type AgentProcess } from './lib/agent-process.js';
import { setting, type Bench } from './lib/bench.js';
import { createGroup, createWorkflow, registerBenchAgent, runFlow, startBenchOrchestrator } from './lib/real-orchestrator.js';
import { median, nowMs, percentile } from './lib/stats.js';
import { childrenCpuMs, cpuMs } from './lib/proc.js';
import { profileWindow } from './lib/profile-window.js';
import { fmt, pct, type BenchRow } from './lib/table.js';

const execFileAsync = promisify(execFile);

const CAPACITY = 8;

/** A FIFO the started processes write one line into; `next()` resolves at the arrival of the next line. */
function lineFifo(dir: string): { path: string; next(): Promise<number>; close(): void } {
  const path = join(dir, 'started.fifo');
  execFileSync('mkfifo', [path]);
  // r+ keeps a writer open ourselves, so the reader never sees EOF between two flows.
  const stream = createReadStream(path, { flags: 'r+' });
  const waiters: ((t: number) => void)[] = [];
  createInterface({ input: stream }).on('line', () => waiters.shift()?.(nowMs()));
  return {
    path,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => {
      // The stream's pending read blocks a thread-pool thread until a line comes, and process.exit waits for
      // that thread: destroy, then write one line so the read returns and the fd closes.
      stream.destroy();
      writeFileSync(path, 'end\n');
    },
  };
}

/** Sessions of the group that Succeeded. */
async function countDone(orch: TestOrchestrator, groupId: string): Promise<number> {
  const res = await orch.api('GET', `flowsessions/$count?$filter=_machinegroupid_value eq ${groupId} and statuscode eq 4`);
  return Number(res.text);
}

interface SpawnReference {
  /** Completions per second. */
  readonly rate: number;
  /** CPU per spawn, ms: the parent's, and its children's (fork + exec + /bin/true). */
  readonly cpuMs: number;
}

const REFERENCE_MODES = ['plain', 'piped', 'durable'] as const;

/**
 * Raw throughput: /bin/true spawned `n` times, 8 at a time, by a bare Node parent in its own process (`plain`: stdio
 * ignored, the reference; `piped`: as a flow must be spawned, stdout/stderr read, own process group;
 * `durable`: piped, each run recorded in SQLite and fsynced before it starts and when it ends). Not from this bench
 * process: `spawn` slows as its parent's memory grows, and this process holds whatever earlier benches left.
 */
async function rawSpawn(n: number, mode: (typeof REFERENCE_MODES)[number]): Promise<SpawnReference> {
  const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(new URL('./fixtures/spawn-true.mjs', import.meta.url)), String(n), String(CAPACITY), mode]);
  const [rate, parent, children] = stdout.trim().split(' ').map(Number) as [number, number, number];
  return { rate, cpuMs: parent + children };
}

type References = Record<(typeof REFERENCE_MODES)[number], SpawnReference>;

/** Every raw reference, one after the other; with `earlier`, each is the mean of that run and this one. */
async function rawReferences(n: number, earlier?: References): Promise<References> {
  const out = {} as References;
  for (const mode of REFERENCE_MODES) {
    const now = await rawSpawn(n, mode);
    const before = earlier?.[mode] ?? now;
    out[mode] = { rate: (before.rate + now.rate) / 2, cpuMs: (before.cpuMs + now.cpuMs) / 2 };
  }
  return out;
}

/** CPU flowhost spends per session while it runs `sessions`: the agent, its flows, and this process (the orchestrator). */
function cpuMeter(agentPid: number): { stop(sessions: number): { agent: number; flows: number; orchestrator: number } } {
  const agent0 = cpuMs(agentPid);
  const flows0 = childrenCpuMs(agentPid);
  const own0 = process.cpuUsage();
  return {
    stop(sessions) {
      const own = process.cpuUsage(own0);
      return { agent: (cpuMs(agentPid) - agent0) / sessions, flows: (childrenCpuMs(agentPid) - flows0) / sessions, orchestrator: (own.user + own.system) / 1000 / sessions };
    },
  };
}

/**
 * Dispatch: latency from the Web API's RunDesktopFlow to the flow's process running (it writes a line into a
 * FIFO) on an idle real agent, vs a bare `spawn` of the same command; throughput of /bin/true sessions on one
 * agent with capacity 8 (queued first, timed from the agent's connect to the last completion) vs bare spawns at
 * concurrency 8.
 */
export const dispatch: Bench = {
  name: 'dispatch',
  budgetMs: () => 240_000,
  async run(ctx) {
    const iterations = setting('BENCH_DISPATCH_ITERATIONS', ctx, 30, 100);
    const sessions = setting('BENCH_DISPATCH_SESSIONS', ctx, 100, 400);
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-bench-dispatch-'));
    const fifo = lineFifo(dir);
    const orch = await startBenchOrchestrator();
    let agent: AgentProcess | undefined;
    try {
      await createGroup(orch, 'bench-dispatch');
      const groupId = String((await orch.api('GET', `flowmachinegroups?$filter=name eq 'bench-dispatch'`)).json.value[0].flowmachinegroupid);
      const argv = ['/bin/sh', '-c', `echo started > ${fifo.path}`];
      const touch = await createWorkflow(orch, 'touch-fifo', argv);
      const trueFlow = await createWorkflow(orch, 'true', ['/bin/true']);
      const registered = await registerBenchAgent(orch, 'bench-dispatch', 'dispatch-agent', CAPACITY);
      agent = await startAgentProcess({ orchestratorUrl: orch.url, ...registered, capacity: CAPACITY });

      ctx.note(`dispatch: latency, ${iterations} sessions one at a time`);
      const flowhost: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const arrived = fifo.next();
        const t0 = nowMs();
        const id = await runFlow(orch, touch, { machineGroupId: groupId });
        flowhost.push((await arrived) - t0);
        await waitFor(async () => isTerminalStatus(Number((await orch.api('GET', `flowsessions(${id})?$select=statuscode`)).json?.statuscode)), {
          what: 'the session to end',
          intervalMs: 5,
        });
        const rawArrived = fifo.next();
        const r0 = nowMs();
        await once(spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' }), 'exit');
        raw.push((await rawArrived) - r0);
      }
      const rows: BenchRow[] = [
        { what: 'dispatch latency p50 ms (API → process started)', flowhost: median(flowhost).toFixed(1), raw: median(raw).toFixed(1), ratio: `${(median(flowhost) / median(raw)).toFixed(1)}×`, target: '< 10 ms', met: median(flowhost) < 10 },
        { what: 'dispatch latency p99 ms', flowhost: percentile(flowhost, 99).toFixed(1), raw: percentile(raw, 99).toFixed(1), ratio: `${(percentile(flowhost, 99) / percentile(raw, 99)).toFixed(1)}×`, target: '< 25 ms', met: percentile(flowhost, 99) < 25 },
      ];

      ctx.note(`dispatch: throughput, ${sessions} sessions of /bin/true, capacity ${CAPACITY}`);
      await agent.stop({ keepDataDir: true });
      const before = await countDone(orch, groupId);
      for (let i = 0; i < sessions; i++) await runFlow(orch, trueFlow, { machineGroupId: groupId });
      const referencesBefore = await rawReferences(sessions);
      agent = await startAgentProcess({ orchestratorUrl: orch.url, ...registered, capacity: CAPACITY });
      const t0 = nowMs();
      const meter = cpuMeter(agent.pid);
      await profileWindow(process.env['BENCH_ORCHESTRATOR_PROFILE'], () =>
        waitFor(async () => (await countDone(orch, groupId)) >= before + sessions, { what: 'all sessions to end', timeoutMs: 120_000, intervalMs: 20 }),
      );
      const rate = sessions / ((nowMs() - t0) / 1000);
      const cpu = meter.stop(sessions);
      const { plain, piped, durable } = await rawReferences(sessions, referencesBefore);
      const flowhostCpu = cpu.agent + cpu.flows + cpu.orchestrator;
      ctx.note(`dispatch: CPU per session: agent ${cpu.agent.toFixed(2)} ms, its flows ${cpu.flows.toFixed(2)} ms, orchestrator ${cpu.orchestrator.toFixed(2)} ms; raw spawn ${plain.cpuMs.toFixed(2)} ms (piped ${piped.cpuMs.toFixed(2)} ms, durable ${durable.cpuMs.toFixed(2)} ms)`);
      rows.push(
        { what: `dispatch throughput (/bin/true sessions/s, capacity ${CAPACITY})`, flowhost: fmt(rate), raw: fmt(plain.rate), ratio: pct(rate / plain.rate), target: '≥ 80 %', met: rate / plain.rate >= 0.8 },
        { what: '… vs raw spawn with output pipes, own process group', flowhost: fmt(rate), raw: fmt(piped.rate), ratio: pct(rate / piped.rate), target: '', met: undefined },
        { what: '… vs a bare durable runner (piped, 2 fsynced SQLite records per run)', flowhost: fmt(rate), raw: fmt(durable.rate), ratio: pct(rate / durable.rate), target: '', met: undefined },
        { what: 'ceiling: the bare durable runner vs raw spawn', flowhost: fmt(durable.rate), raw: fmt(plain.rate), ratio: pct(durable.rate / plain.rate), target: '', met: undefined },
        { what: 'CPU per session ms (agent + flows + orchestrator)', flowhost: flowhostCpu.toFixed(2), raw: plain.cpuMs.toFixed(2), ratio: `${(flowhostCpu / plain.cpuMs).toFixed(1)}×`, target: '', met: undefined },
      );
      return rows;
    } finally {
      await agent?.stop();
      await orch.close();
      fifo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
