import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appliedSeq } from '../../../orchestrator/gateway/event-applier.js';
import { API_GROUP_PASSWORD, apiOk, createGroup, startApiOrchestrator } from '../../support/api-harness.js';
import { registerTestMachine } from '../../support/real-agent.js';
import { AgentProcess } from '../../support/agent-process.js';
import { ChaosSessions, chaosFigures, MARKED_LINES_CLIENTDATA, settleApplied, sleep, type ChaosFigures } from './chaos-run.js';
import { SeededRandom } from './seeded-random.js';
import { agentOutbox, auditSessions, type SessionAudit } from './session-audit.js';

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

export interface AgentKillFigures extends ChaosFigures {
  readonly kills: number;
  readonly abortedAgentRestarted: number;
  readonly linesWritten: number;
}

const abortedByRestart = (a: SessionAudit) => a.statuscode === 11 && a.errorcode === 'AgentRestarted';

/**
 * kill -9 of a real agent process at seeded random moments while sessions run and log heavily; the agent is
 * restarted on the same data dir each time. Keeps two sessions waiting so there is always work, then lets
 * everything finish and audits every session.
 */
export async function runAgentKillChaos(o: AgentKillChaosOptions): Promise<AgentKillFigures> {
  const startedAt = Date.now();
  const rng = new SeededRandom(o.seed);
  const capacity = o.capacity ?? 2;
  const orch = await startApiOrchestrator();
  const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-chaos-agent-'));
  const markerDir = mkdtempSync(join(tmpdir(), 'flowhost-chaos-markers-'));
  const ids: string[] = [];
  let agent: AgentProcess | undefined;
  try {
    const groupId = await createGroup(orch, 'chaos');
    const { credentials } = await registerTestMachine(orch.url, { group: 'chaos', groupPassword: API_GROUP_PASSWORD, name: 'chaos-agent', capacity, dataDir, dirTag: 'chaos' });
    const workflowId = String((await apiOk(orch, 'POST', 'workflows', { name: 'marked-lines', category: 6, clientdata: MARKED_LINES_CLIENTDATA }))['workflowid']);
    const sessions = new ChaosSessions(ids, { orch, workflowId, groupId, markerDir, lines: o.lines });
    agent = new AgentProcess({ orchestratorUrl: orch.url, credentials, dataDir, capacity });
    await sessions.topUp();
    agent.start();
    await agent.whenConnected();
    for (let k = 1; k <= o.kills; k++) {
      await sessions.topUp();
      await sleep(rng.int(o.minUpMs, o.maxUpMs));
      await agent.kill9();
      agent.start();
      await agent.whenConnected();
      if (k % 10 === 0) o.log?.(`  ${k}/${o.kills} kills, ${ids.length} sessions so far`);
    }
    await sessions.allEnded(60_000, 100);
    const agentDb = join(dataDir, 'agent.db');
    const applied = () => appliedSeq(orch.running.store, credentials.flowmachineid);
    await settleApplied(applied, agentDb);
    const { lastSeq } = agentOutbox(agentDb);
    const audits = await auditSessions(orch.running.store, agentDb, markerDir, ids);
    return {
      kills: agent.kills,
      abortedAgentRestarted: audits.filter(abortedByRestart).length,
      linesWritten: audits.reduce((n, a) => n + a.written, 0),
      ...chaosFigures({ seed: o.seed, startedAt, audits, lastSeq, applied: await applied(), agent, expectedEnd: abortedByRestart }),
    };
  } finally {
    await agent?.stop();
    await orch.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(markerDir, { recursive: true, force: true });
  }
}
