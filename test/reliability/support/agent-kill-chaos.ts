import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTerminalStatus } from '../../../shared/option-sets.js';
import { appliedSeq } from '../../../orchestrator/gateway/event-applier.js';
import { ensureRegistered } from '../../../main/agent/registration.js';
import { GROUP_PASSWORD, queue, startOrchestrator } from '../../e2e/e2e-harness.js';
import { waitFor } from '../../support/wait-for.js';
import { AgentProcess } from './agent-process.js';
import { SeededRandom } from './seeded-random.js';
import { agentOutbox, auditSessions, type SessionAudit } from './session-audit.js';

export const MARKED_LINES = fileURLToPath(new URL('../fixtures/marked-lines.mjs', import.meta.url));

export interface AgentKillChaosOptions {
  readonly seed: number;
  readonly kills: number;
  /** Random run time between a (re)start being welcomed and the next SIGKILL. */
  readonly minUpMs: number;
  readonly maxUpMs: number;
  /** Lines per session, written in bursts of 10 every 10 ms (1,000 lines ≈ 1 s of run). */
  readonly lines: number;
  readonly capacity?: number;
  readonly log?: (line: string) => void;
}

export interface AgentKillFigures {
  readonly seed: number;
  readonly kills: number;
  readonly sessions: number;
  readonly succeeded: number;
  readonly abortedAgentRestarted: number;
  readonly otherEnd: number;
  readonly ranTwice: number;
  readonly eventsCommitted: number;
  readonly eventFramesSent: number;
  readonly eventsResent: number;
  readonly eventsApplied: number;
  readonly eventsUnapplied: number;
  readonly linesWritten: number;
  readonly linesCommitted: number;
  readonly linesUpstream: number;
  readonly duplicates: number;
  readonly losses: number;
  readonly misordered: number;
  readonly seconds: number;
  readonly audits: readonly SessionAudit[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * kill -9 of a real agent process at seeded random moments while sessions run and log heavily; the agent is
 * restarted on the same data dir each time. Keeps two sessions waiting so there is always work, then lets
 * everything finish and audits every session. The waits between kills are the fault schedule, not sync.
 */
export async function runAgentKillChaos(o: AgentKillChaosOptions): Promise<AgentKillFigures> {
  const started = Date.now();
  const rng = new SeededRandom(o.seed);
  const orch = await startOrchestrator();
  const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-chaos-agent-'));
  const markerDir = mkdtempSync(join(tmpdir(), 'flowhost-chaos-markers-'));
  const ids: string[] = [];
  let agent: AgentProcess | undefined;
  try {
    const groupId = String(orch.group('chaos')['flowmachinegroupid']);
    const { credentials } = await ensureRegistered({
      credentialsFile: join(dataDir, 'credentials.json'),
      orchestrator: orch.url,
      group: 'chaos',
      groupPassword: GROUP_PASSWORD,
      name: 'chaos-agent',
      capacity: o.capacity ?? 2,
      agentVersion: 'chaos',
    });
    const workflowId = String(orch.workflow({ name: 'marked-lines', clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, MARKED_LINES] }) })['workflowid']);
    const topUp = () => {
      const waiting = ids.filter((id) => Number(orch.get(id)['statuscode']) === 3).length;
      for (let i = waiting; i < 2; i++) ids.push(queue(orch, workflowId, groupId, { inputs: { markerDir, lines: o.lines, burst: 10, everyMs: 10 } }));
    };
    agent = new AgentProcess({ orchestratorUrl: orch.url, credentials, dataDir, capacity: o.capacity ?? 2 });
    topUp();
    agent.start();
    await agent.whenConnected();
    for (let k = 1; k <= o.kills; k++) {
      topUp();
      await sleep(rng.int(o.minUpMs, o.maxUpMs));
      await agent.kill9();
      agent.start();
      await agent.whenConnected();
      if (k % 10 === 0) o.log?.(`  ${k}/${o.kills} kills, ${ids.length} sessions so far`);
    }
    await waitFor(() => ids.every((id) => isTerminalStatus(Number(orch.get(id)['statuscode']))), { what: 'every session to end', timeoutMs: 60_000 });
    const agentDb = join(dataDir, 'agent.db');
    const machineId = credentials.flowmachineid;
    await waitFor(() => appliedSeq(orch.store, machineId) >= agentOutbox(agentDb).lastSeq, { what: 'every committed event to be applied', timeoutMs: 30_000 }).catch(() => undefined);
    const { lastSeq } = agentOutbox(agentDb);
    const applied = appliedSeq(orch.store, machineId);
    const audits = auditSessions(orch.store, agentDb, markerDir, ids);
    const sent = agent.sentFigures();
    const sum = (f: (a: SessionAudit) => number) => audits.reduce((n, a) => n + f(a), 0);
    return {
      seed: o.seed,
      kills: agent.kills,
      sessions: ids.length,
      succeeded: audits.filter((a) => a.statuscode === 4).length,
      abortedAgentRestarted: audits.filter((a) => a.statuscode === 11 && a.errorcode === 'AgentRestarted').length,
      otherEnd: audits.filter((a) => a.statuscode !== 4 && !(a.statuscode === 11 && a.errorcode === 'AgentRestarted')).length,
      ranTwice: audits.filter((a) => a.runs > 1).length,
      eventsCommitted: lastSeq,
      eventFramesSent: sent.frames,
      eventsResent: sent.resent,
      eventsApplied: applied,
      eventsUnapplied: lastSeq - applied,
      linesWritten: sum((a) => a.written),
      linesCommitted: sum((a) => a.committed),
      linesUpstream: sum((a) => a.upstream),
      duplicates: sum((a) => a.duplicates),
      losses: sum((a) => a.lost),
      misordered: audits.filter((a) => a.misordered).length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      audits,
    };
  } finally {
    await agent?.stop();
    await orch.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(markerDir, { recursive: true, force: true });
  }
}

/** One printable block of the figures (the docs quote it). */
export function formatAgentKillFigures(f: AgentKillFigures): string {
  const { audits: _audits, ...rest } = f;
  return Object.entries(rest)
    .map(([k, v]) => `${k.padEnd(22)} ${String(v)}`)
    .join('\n');
}
