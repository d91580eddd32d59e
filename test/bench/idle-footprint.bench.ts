import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { setting, type Bench } from './lib/bench.js';
import { startAgentProcess } from './lib/agent-process.js';
import { anonRssMiB, cpuWindow, rssMiB } from './lib/proc.js';
import { createGroup, startBenchOrchestrator } from './lib/real-orchestrator.js';
import { within } from './lib/stats.js';
import { fmt, points } from './lib/table.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A bare Node + ws client connected to a bare ws server (the raw idle process), started alongside the agent. */
async function startRawIdle(): Promise<{ pid: number; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const child = spawn(process.execPath, [fixture('idle-ws-client.mjs'), `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await within(once(child.stdout, 'data'), 10_000, 'raw idle client');
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/**
 * Idle footprint: the real headless agent, registered and connected to the real orchestrator (production
 * 30 s heartbeat), no session; RSS and CPU over the window — measured in the SAME window as a bare Node process
 * holding one WebSocket (the raw floor), so both see the same machine noise.
 */
export const idleFootprint: Bench = {
  name: 'idle-footprint',
  budgetMs: (ctx) => 60_000 + setting('BENCH_IDLE_S', ctx, 10, 60) * 1000,
  async run(ctx) {
    const windowS = setting('BENCH_IDLE_S', ctx, 10, 60);
    const orch = await startBenchOrchestrator();
    await createGroup(orch, 'bench-idle');
    // `flowhost agent` as installed (the dist/cli bundle npm ci builds) and as a service runs it: registered on an
    // earlier start, then restarted. Also the start that registers (its HTTP client stays loaded), and the sources
    // through tsx.
    const agentIn = (name: string, more: { dataDir?: string; fromSource?: boolean } = {}) =>
      startAgentProcess({ orchestratorUrl: orch.url, register: { group: 'bench-idle', name }, ...more });
    const registering = await agentIn('idle-agent');
    await registering.stop({ keepDataDir: true });
    const agent = await agentIn('idle-agent', { dataDir: registering.dataDir });
    const firstStart = await agentIn('idle-agent-first-start');
    const fromSource = await agentIn('idle-agent-source', { fromSource: true });
    const raw = await startRawIdle();
    try {
      // Let start-up work (module compilation, first GC) settle before the window.
      await new Promise((r) => setTimeout(r, 3000));
      ctx.note(`idle-footprint: ${windowS} s window`);
      const cpuAgent = cpuWindow(agent.pid);
      const cpuRaw = cpuWindow(raw.pid);
      const cpuSource = cpuWindow(fromSource.pid);
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const agentCpu = cpuAgent.stop();
      const rawCpu = cpuRaw.stop();
      const sourceCpu = cpuSource.stop();
      const sourceRss = rssMiB(fromSource.pid);
      const firstStartRss = rssMiB(firstStart.pid);
      const agentRss = rssMiB(agent.pid);
      const rawRss = rssMiB(raw.pid);
      const [agentAnon, rawAnon] = [anonRssMiB(agent.pid), anonRssMiB(raw.pid)];
      return [
        { what: `idle ${windowS} s: agent RSS (MiB, restarted) vs bare node+ws`, flowhost: fmt(agentRss), raw: fmt(rawRss), ratio: `${(agentRss / rawRss).toFixed(2)}×`, target: '< 60 MiB', met: agentRss < 60 },
        { what: `idle ${windowS} s: agent private RSS (RssAnon, MiB)`, flowhost: fmt(agentAnon), raw: fmt(rawAnon), ratio: `${(agentAnon / rawAnon).toFixed(2)}×`, target: '(info)', met: undefined },
        { what: `idle ${windowS} s: agent CPU (% of a core)`, flowhost: `${agentCpu.toFixed(2)} %`, raw: `${rawCpu.toFixed(2)} %`, ratio: points(agentCpu - rawCpu), target: '< 0.5 %', met: agentCpu < 0.5 },
        { what: `idle ${windowS} s: agent RSS on the start that registered`, flowhost: fmt(firstStartRss), raw: fmt(rawRss), ratio: `${(firstStartRss / rawRss).toFixed(2)}×`, target: '(info)', met: undefined },
        { what: `idle ${windowS} s: same agent from source (tsx) RSS`, flowhost: fmt(sourceRss), raw: fmt(rawRss), ratio: `${(sourceRss / rawRss).toFixed(2)}×`, target: '(info)', met: undefined },
        { what: `idle ${windowS} s: same agent from source (tsx) CPU`, flowhost: `${sourceCpu.toFixed(2)} %`, raw: `${rawCpu.toFixed(2)} %`, ratio: points(sourceCpu - rawCpu), target: '(info)', met: undefined },
      ];
    } finally {
      await raw.stop();
      await fromSource.stop();
      await firstStart.stop();
      await agent.stop();
      await orch.close();
    }
  },
};
