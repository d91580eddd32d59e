import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WireLogLevel, type SessionEvent } from '../../shared/protocol.js';
import { waitFor } from '../support/wait-for.js';
import { startAgentProcess, type AgentProcess } from './lib/agent-process.js';
import { cpuMs } from './lib/proc.js';
import { setting, type Bench } from './lib/bench.js';
import { profileWindow } from './lib/profile-window.js';
import { rawFrames, rawReplay } from './lib/raw-replay.js';
import { createGroup, createWorkflow, registerBenchAgent, runFlow, startBenchOrchestrator } from './lib/real-orchestrator.js';
import { alternate, nowMs } from './lib/stats.js';
import { fmt, pct } from './lib/table.js';

const TARGET = 100_000;

/**
 * One millisecond apart, in the past: every event has a timestamp of its own, the hardest case for the validator's
 * memory of the last `date-time` it accepted (a busy flow repeats timestamps; a replay of an outage mostly does not).
 */
const eventTime = (t0: number, i: number): string => new Date(t0 + i).toISOString();

function logEvent(seq: number, sessionId: string, lineSeq: number, at: string): SessionEvent {
  return { seq, sessionId, at, kind: 'log', lines: [{ seq: lineSeq, level: WireLogLevel.Information, stream: 'stdout', at, message: 'x'.repeat(59) }] };
}

/**
 * Fills a stopped agent's outbox with `count` one-line `log` events after its last seq, as its store would
 * have buffered them while offline (written with SQL in big transactions: a million separate fsync'd commits
 * would take minutes). Returns the seq before the first.
 */
function bufferEvents(dataDir: string, sessionId: string, count: number): number {
  const db = new Database(join(dataDir, 'agent.db'));
  try {
    const last = (db.prepare(`SELECT value FROM meta WHERE key = 'last_seq'`).get() as { value: number }).value;
    const insert = db.prepare('INSERT INTO events (seq, session_id, kind, body) VALUES (?, ?, ?, ?)');
    const t0 = Date.now() - count;
    db.transaction(() => {
      for (let i = 1; i <= count; i++) insert.run(last + i, sessionId, 'log', JSON.stringify(logEvent(last + i, sessionId, 1_000_000 + i, eventTime(t0, i))));
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'last_seq'`).run(last + count);
    })();
    return last;
  } finally {
    db.close();
  }
}

/**
 * Upstream replay: a real agent goes offline with a running session, its outbox holds N buffered events; it
 * reconnects to the real orchestrator, which applies each seq exactly once. events/s = applied ÷ time from
 * the welcome, bounded by a deadline (the rate so far is reported when it passes).
 */
export const upstreamReplay: Bench = {
  name: 'upstream-replay',
  budgetMs: (ctx) => 120_000 + setting('BENCH_REPLAY_DEADLINE_S', ctx, 30, 150) * 1000,
  async run(ctx) {
    const count = setting('BENCH_REPLAY_EVENTS', ctx, 100_000, 1_000_000);
    const deadlineMs = setting('BENCH_REPLAY_DEADLINE_S', ctx, 30, 150) * 1000;
    const orch = await startBenchOrchestrator();
    const group = 'bench-replay';
    await createGroup(orch, group);
    const groupId = String((await orch.api('GET', `flowmachinegroups?$filter=name eq '${group}'`)).json.value[0].flowmachinegroupid);
    const workflow = await createWorkflow(orch, 'sleeper', [process.execPath, '-e', 'setTimeout(() => {}, 600000)']);
    const { dataDir, credentials } = await registerBenchAgent(orch, group, 'replay-agent');
    const applied = () => orch.running.store.queueState.appliedSeq(credentials.flowmachineid);
    let agent: AgentProcess | undefined;
    try {
      agent = await startAgentProcess({ orchestratorUrl: orch.url, credentials, dataDir });
      const sessionId = await runFlow(orch, workflow, { machineGroupId: groupId });
      await waitFor(async () => Number((await orch.running.store.sessions.get(sessionId))?.['statuscode']) === 2, { what: 'the session to run' });
      await waitFor(async () => (await applied()) >= 1, { what: 'the started event to be applied' });
      await agent.stop({ keepDataDir: true });
      ctx.note(`upstream-replay: buffering ${count} events in the agent store`);
      const first = bufferEvents(dataDir, sessionId, count);
      const t0 = Date.now() - count;
      const frames = rawFrames(Array.from({ length: count }, (_, i) => logEvent(i + 1, sessionId, i, eventTime(t0, i))));
      // CPU per event, which the load of the shared machine changes far less than the rate: the orchestrator runs in this process.
      const cpu = { orchestratorUs: NaN, agentUs: NaN };
      const flowhost = async () => {
        ctx.note(`upstream-replay: flowhost, ${count} events (deadline ${deadlineMs / 1000} s)`);
        await agent?.stop({ keepDataDir: true });
        agent = await startAgentProcess({ orchestratorUrl: orch.url, credentials, dataDir });
        const a0 = await applied();
        const t0 = nowMs();
        const own0 = process.cpuUsage();
        const agent0 = cpuMs(agent.pid);
        await profileWindow(process.env['BENCH_ORCHESTRATOR_PROFILE'], () =>
          waitFor(async () => (await applied()) >= first + count || nowMs() - t0 > deadlineMs, { timeoutMs: deadlineMs + 10_000, intervalMs: 50 }),
        );
        const own = process.cpuUsage(own0);
        const n = (await applied()) - a0;
        cpu.orchestratorUs = (own.user + own.system) / n;
        cpu.agentUs = ((cpuMs(agent.pid) - agent0) * 1000) / n;
        return n / ((nowMs() - t0) / 1000);
      };
      const m = await alternate(1, flowhost, () => rawReplay(frames));
      ctx.note(`upstream-replay: flowhost ${m.flowhostRuns.map((x) => fmt(x)).join(', ')}; raw ${m.rawRuns.map((x) => fmt(x)).join(', ')}`);
      // At least: the running session's agent also sends its samples, applied after the buffered events.
      const done = (await applied()) - first;
      return [
        {
          what: `upstream replay (events/s), ${fmt(Math.min(done, count))} of ${fmt(count)} applied`,
          flowhost: fmt(m.flowhost),
          raw: fmt(m.raw),
          ratio: pct(m.flowhost / m.raw),
          target: `≥ ${fmt(TARGET)}/s`,
          met: m.flowhost >= TARGET && done >= count,
        },
        {
          what: 'upstream replay: CPU µs/event, orchestrator (agent)',
          flowhost: `${cpu.orchestratorUs.toFixed(1)} (${cpu.agentUs.toFixed(1)})`,
          raw: '—',
          ratio: '—',
          target: `(info) ${fmt(1e6 / cpu.orchestratorUs)}/s a free core`,
          met: undefined,
        },
      ];
    } finally {
      await agent?.stop({ keepDataDir: true });
      await orch.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
