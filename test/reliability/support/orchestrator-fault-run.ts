import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../orchestrator/store/sqlite-store.js';
import { API_GROUP_PASSWORD, apiOk, createGroup } from '../../support/api-harness.js';
import { registerTestMachine } from '../../support/real-agent.js';
import { waitFor } from '../../support/wait-for.js';
import { AgentProcess } from '../../support/agent-process.js';
import { ChaosSessions, chaosFigures, MARKED_LINES_CLIENTDATA, settleApplied, sleep, type ChaosFigures } from './chaos-run.js';
import { OrchestratorProcess } from '../../support/orchestrator-process.js';
import { SeededRandom } from './seeded-random.js';
import { agentOutbox, auditSessions, orchestratorAppliedSeq, type SessionAudit } from './session-audit.js';
import { TcpProxy } from './tcp-proxy.js';

export type Fault = { readonly kind: 'kill'; readonly downMs: number } | { readonly kind: 'partition'; readonly holdMs: number };

export interface OrchestratorFaultOptions {
  readonly seed: number;
  readonly faults: readonly Fault[];
  /** Random up time before each fault. */
  readonly minUpMs: number;
  readonly maxUpMs: number;
  readonly lines: number;
  /** Orchestrator ping interval and the agent's assumed one (the agent drops a link silent for 2.5×). */
  readonly heartbeatIntervalMs: number;
  readonly log?: (line: string) => void;
}

/** What the faults themselves measured. */
interface FaultTally {
  longestDownMs: number;
  partitions: number;
  /** Printed, not asserted: how long the agent took to drop a black-holed link. */
  partitionDetectMsMax: number;
  /** Per partition, what happened between cutting and healing the link: `cut → disconnected → heal` is a detection. */
  partitionTimelines: string[];
  maxBacklogWhileDown: number;
}

export interface OrchestratorFaultFigures extends ChaosFigures, Readonly<FaultTally> {
  readonly orchestratorKills: number;
  readonly adminTokenInLogs: number;
  /** Links the agent dropped because the orchestrator was silent past the ping timeout (its log line). */
  readonly silenceDrops: number;
  /** Paths of the orchestrator's and the agent's log files (for the token grep), removed when the run ends. */
  readonly logFiles: readonly string[];
}

/** The parts a fault acts on. */
interface FaultRig {
  readonly orch: OrchestratorProcess;
  readonly proxy: TcpProxy;
  readonly agent: AgentProcess;
  readonly agentDb: string;
  readonly heartbeatIntervalMs: number;
  readonly tally: FaultTally;
}

/** SIGKILL the orchestrator and keep it down; the agent keeps running its sessions and commits what they write. */
async function killOrchestrator(rig: FaultRig, downMs: number): Promise<void> {
  await rig.orch.kill9();
  const down = Date.now();
  while (Date.now() - down < downMs) {
    await sleep(Math.min(250, downMs));
    rig.tally.maxBacklogWhileDown = Math.max(rig.tally.maxBacklogWhileDown, agentOutbox(rig.agentDb).pending);
  }
  await rig.orch.start();
  rig.tally.longestDownMs = Math.max(rig.tally.longestDownMs, Date.now() - down);
}

/** Black-hole the link until the agent notices (ping timeout), hold it, heal it. */
async function partitionLink(rig: FaultRig, holdMs: number): Promise<void> {
  rig.tally.partitions += 1;
  const from = rig.agent.connectionEvents.length;
  rig.proxy.partition();
  const cut = Date.now();
  await waitFor(() => !rig.agent.connected, { what: 'the agent to notice the partition', timeoutMs: rig.heartbeatIntervalMs * 10, intervalMs: 10 });
  rig.tally.partitionDetectMsMax = Math.max(rig.tally.partitionDetectMsMax, Date.now() - cut);
  await sleep(Math.max(0, holdMs - (Date.now() - cut)));
  const whileCut = rig.agent.connectionEvents.slice(from).map((e) => e.split(' ')[0]);
  rig.proxy.heal();
  rig.tally.partitionTimelines.push(['cut', ...whileCut, 'heal'].join(' → '));
}

/** Audits the sessions against the (stopped) orchestrator's database. */
async function auditStoppedOrchestrator(orchestratorDb: string, agentDb: string, markerDir: string, ids: readonly string[]): Promise<SessionAudit[]> {
  const store = new SqliteStore({ file: orchestratorDb });
  try {
    return await auditSessions(store, agentDb, markerDir, ids);
  } finally {
    await store.close();
  }
}

const occurrences = (files: readonly string[], text: string) => files.filter((f) => existsSync(f)).reduce((n, f) => n + readFileSync(f, 'utf8').split(text).length - 1, 0);

/**
 * Sessions run on a real agent process while the real orchestrator process is SIGKILLed (and kept down for a
 * while) or the TCP link between them is black-holed. At the end every session is audited end to end.
 */
export async function runOrchestratorFaults(o: OrchestratorFaultOptions): Promise<OrchestratorFaultFigures> {
  const startedAt = Date.now();
  const rng = new SeededRandom(o.seed);
  const root = mkdtempSync(join(tmpdir(), 'flowhost-orch-faults-'));
  const [orchDir, agentDir, markerDir] = ['orch', 'agent', 'markers'].map((d) => join(root, d)) as [string, string, string];
  mkdirSync(markerDir);
  const adminToken = `reliability-admin-${rng.int(1e8, 9e8)}-token`;
  const logFiles = [join(root, 'orchestrator.log'), join(root, 'agent.log')];
  const orch = new OrchestratorProcess({
    dataDir: orchDir,
    adminToken,
    gateway: { queueTickMs: 20, heartbeatIntervalMs: o.heartbeatIntervalMs, callbackAllowHosts: ['127.0.0.1'], callbackBaseDelayMs: 50 },
    ...(logFiles[0] ? { logFile: logFiles[0] } : {}),
  });
  const proxy = new TcpProxy(() => ({ host: '127.0.0.1', port: Number(new URL(orch.url).port) }));
  let agent: AgentProcess | undefined;
  const ids: string[] = [];
  try {
    await orch.start();
    await proxy.start();
    const groupId = await createGroup(orch, 'faults');
    const workflowId = String((await apiOk(orch, 'POST', 'workflows', { name: 'marked-lines', category: 6, clientdata: MARKED_LINES_CLIENTDATA }))['workflowid']);
    const { credentials } = await registerTestMachine(orch.url, { group: 'faults', groupPassword: API_GROUP_PASSWORD, name: 'faults-agent', capacity: 2, dataDir: agentDir, dirTag: 'faults' });
    agent = new AgentProcess({ orchestratorUrl: proxy.url, credentials, dataDir: agentDir, capacity: 2, heartbeatIntervalMs: o.heartbeatIntervalMs, logFile: logFiles[1] });
    agent.start();
    await agent.whenConnected();
    const sessions = new ChaosSessions(ids, { orch, workflowId, groupId, markerDir, lines: o.lines });
    const agentDb = join(agentDir, 'agent.db');
    const rig: FaultRig = { orch, proxy, agent, agentDb, heartbeatIntervalMs: o.heartbeatIntervalMs, tally: { longestDownMs: 0, partitions: 0, partitionDetectMsMax: 0, partitionTimelines: [], maxBacklogWhileDown: 0 } };
    for (const [i, fault] of o.faults.entries()) {
      await sessions.topUp();
      await sleep(rng.int(o.minUpMs, o.maxUpMs));
      await (fault.kind === 'kill' ? killOrchestrator(rig, fault.downMs) : partitionLink(rig, fault.holdMs));
      await agent.whenConnected(60_000);
      o.log?.(`  fault ${i + 1}/${o.faults.length} (${fault.kind}) survived`);
    }
    await sessions.allEnded(90_000, 200);
    const orchDb = join(orchDir, 'orchestrator.db');
    const applied = () => orchestratorAppliedSeq(orchDb, credentials.flowmachineid);
    await settleApplied(applied, agentDb);
    await agent.stop();
    await orch.stop();
    const appliedAtEnd = applied();
    const { lastSeq } = agentOutbox(agentDb);
    const audits = await auditStoppedOrchestrator(orchDb, agentDb, markerDir, ids);
    return {
      orchestratorKills: orch.kills,
      ...rig.tally,
      ...chaosFigures({ seed: o.seed, startedAt, audits, lastSeq, applied: appliedAtEnd, agent }),
      adminTokenInLogs: occurrences(logFiles, adminToken),
      silenceDrops: occurrences(logFiles.slice(1), 'orchestrator silent for'),
      logFiles,
    };
  } finally {
    await agent?.stop();
    await orch.stop();
    await proxy.close();
    rmSync(root, { recursive: true, force: true });
  }
}
