import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminalStatus } from '../../../shared/option-sets.js';
import { SqliteStore } from '../../../orchestrator/store/sqlite-store.js';
import { ensureRegistered } from '../../../main/agent/registration.js';
import { waitFor } from '../../support/wait-for.js';
import { AgentProcess } from './agent-process.js';
import { MARKED_LINES } from './agent-kill-chaos.js';
import { OrchestratorProcess } from './orchestrator-process.js';
import { SeededRandom } from './seeded-random.js';
import { agentOutbox, auditSessions, type SessionAudit } from './session-audit.js';
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

export interface OrchestratorFaultFigures {
  readonly seed: number;
  readonly orchestratorKills: number;
  readonly longestDownMs: number;
  readonly partitions: number;
  readonly partitionDetectMsMax: number;
  readonly maxBacklogWhileDown: number;
  readonly sessions: number;
  readonly succeeded: number;
  readonly otherEnd: number;
  readonly ranTwice: number;
  readonly eventsCommitted: number;
  readonly eventFramesSent: number;
  readonly eventsResent: number;
  readonly eventsApplied: number;
  readonly eventsUnapplied: number;
  readonly linesCommitted: number;
  readonly linesUpstream: number;
  readonly duplicates: number;
  readonly losses: number;
  readonly misordered: number;
  readonly seconds: number;
  readonly adminTokenInLogs: number;
  readonly audits: readonly SessionAudit[];
  /** Paths of the orchestrator's and the agent's log files (for the token grep), removed after `dispose`. */
  readonly logFiles: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sessions run on a real agent process while the real orchestrator process is SIGKILLed (and kept down for a
 * while) or the TCP link between them is black-holed. At the end every session is audited end to end.
 */
export async function runOrchestratorFaults(o: OrchestratorFaultOptions): Promise<OrchestratorFaultFigures> {
  const t0 = Date.now();
  const rng = new SeededRandom(o.seed);
  const root = mkdtempSync(join(tmpdir(), 'flowhost-orch-faults-'));
  const [orchDir, agentDir, markerDir] = ['orch', 'agent', 'markers'].map((d) => join(root, d)) as [string, string, string];
  const adminToken = `reliability-admin-${rng.int(1e8, 9e8)}-token`;
  const logFiles = [join(root, 'orchestrator.log'), join(root, 'agent.log')];
  const orch = new OrchestratorProcess({ dataDir: orchDir, adminToken, heartbeatIntervalMs: o.heartbeatIntervalMs, logFile: logFiles[0] });
  const proxy = new TcpProxy(() => ({ host: '127.0.0.1', port: Number(new URL(orch.url).port) }));
  let agent: AgentProcess | undefined;
  const ids: string[] = [];
  let maxBacklog = 0;
  let longestDown = 0;
  let detectMax = 0;
  let partitions = 0;
  try {
    await orch.start();
    await proxy.start();
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await orch.api(method, path, body, { prefer: 'return=representation' });
      if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
      return r.json as Record<string, unknown>;
    };
    const group = await ok('POST', 'flowmachinegroups', { name: 'faults', password: 'faults-group-password', preferredqueuingtype: 1 });
    const workflow = await ok('POST', 'workflows', {
      name: 'marked-lines',
      category: 6,
      clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, MARKED_LINES] }),
    });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(markerDir, { recursive: true });
    const { credentials } = await ensureRegistered({
      credentialsFile: join(agentDir, 'credentials.json'),
      orchestrator: orch.url,
      group: 'faults',
      groupPassword: 'faults-group-password',
      name: 'faults-agent',
      capacity: 2,
      agentVersion: 'faults',
    });
    agent = new AgentProcess({ orchestratorUrl: proxy.url, credentials, dataDir: agentDir, capacity: 2, heartbeatIntervalMs: o.heartbeatIntervalMs, logFile: logFiles[1] });
    agent.start();
    await agent.whenConnected();
    const topUp = async () => {
      let waiting = 0;
      for (const id of ids) if (Number((await ok('GET', `flowsessions(${id})?$select=statuscode`))['statuscode']) === 3) waiting += 1;
      for (; waiting < 2; waiting++) {
        const r = await ok('POST', `workflows(${String(workflow['workflowid'])})/Microsoft.Dynamics.CRM.RunDesktopFlow`, {
          runMode: 'unattended',
          machineGroupId: group['flowmachinegroupid'],
          inputs: { markerDir, lines: o.lines, burst: 10, everyMs: 10 },
        });
        ids.push(String(r['flowsessionId']));
      }
    };
    const agentDb = join(agentDir, 'agent.db');
    for (const [i, fault] of o.faults.entries()) {
      await topUp();
      await sleep(rng.int(o.minUpMs, o.maxUpMs));
      if (fault.kind === 'kill') {
        await orch.kill9();
        const down = Date.now();
        // The agent keeps running its sessions and commits what they write; sample the backlog while down.
        while (Date.now() - down < fault.downMs) {
          await sleep(Math.min(250, fault.downMs));
          maxBacklog = Math.max(maxBacklog, agentOutbox(agentDb).pending);
        }
        await orch.start();
        longestDown = Math.max(longestDown, Date.now() - down);
      } else {
        partitions += 1;
        proxy.partition();
        const cut = Date.now();
        await waitFor(() => !agent!.connected, { what: 'the agent to notice the partition', timeoutMs: o.heartbeatIntervalMs * 10, intervalMs: 10 });
        detectMax = Math.max(detectMax, Date.now() - cut);
        await sleep(Math.max(0, fault.holdMs - (Date.now() - cut)));
        proxy.heal();
      }
      await agent.whenConnected(60_000);
      o.log?.(`  fault ${i + 1}/${o.faults.length} (${fault.kind}) survived`);
    }
    await waitFor(
      async () => {
        for (const id of ids) if (!isTerminalStatus(Number((await ok('GET', `flowsessions(${id})?$select=statuscode`))['statuscode']))) return false;
        return true;
      },
      { what: 'every session to end', timeoutMs: 90_000, intervalMs: 200 },
    );
    const appliedOf = () => {
      const db = new Database(join(orchDir, 'orchestrator.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(`gateway.appliedseq.${credentials.flowmachineid}`) as { value: string } | undefined;
        return Number(row?.value ?? 0);
      } finally {
        db.close();
      }
    };
    await waitFor(() => appliedOf() >= agentOutbox(agentDb).lastSeq, { what: 'every committed event applied', timeoutMs: 30_000 }).catch(() => undefined);
    await agent.stop();
    await orch.stop();
    const store = new SqliteStore({ file: join(orchDir, 'orchestrator.db') });
    const applied = appliedOf();
    const { lastSeq } = agentOutbox(agentDb);
    let audits: SessionAudit[];
    try {
      audits = auditSessions(store, agentDb, markerDir, ids);
    } finally {
      store.close();
    }
    const { readFileSync, existsSync } = await import('node:fs');
    const tokenHits = logFiles.filter(existsSync).reduce((n, f) => n + readFileSync(f, 'utf8').split(adminToken).length - 1, 0);
    const sent = agent.sentFigures();
    const sum = (f: (a: SessionAudit) => number) => audits.reduce((n, a) => n + f(a), 0);
    return {
      seed: o.seed,
      orchestratorKills: orch.kills,
      longestDownMs: longestDown,
      partitions,
      partitionDetectMsMax: detectMax,
      maxBacklogWhileDown: maxBacklog,
      sessions: ids.length,
      succeeded: audits.filter((a) => a.statuscode === 4).length,
      otherEnd: audits.filter((a) => a.statuscode !== 4).length,
      ranTwice: audits.filter((a) => a.runs > 1).length,
      eventsCommitted: lastSeq,
      eventFramesSent: sent.frames,
      eventsResent: sent.resent,
      eventsApplied: applied,
      eventsUnapplied: lastSeq - applied,
      linesCommitted: sum((a) => a.committed),
      linesUpstream: sum((a) => a.upstream),
      duplicates: sum((a) => a.duplicates),
      losses: sum((a) => a.lost),
      misordered: audits.filter((a) => a.misordered).length,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      adminTokenInLogs: tokenHits,
      audits,
      logFiles,
    };
  } finally {
    await agent?.stop();
    await orch.stop();
    await proxy.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export function formatFigures(f: object): string {
  return Object.entries(f)
    .filter(([k]) => k !== 'audits' && k !== 'logFiles')
    .map(([k, v]) => `${k.padEnd(22)} ${String(v)}`)
    .join('\n');
}
