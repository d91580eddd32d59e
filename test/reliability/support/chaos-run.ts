import { fileURLToPath } from 'node:url';
import { isTerminalStatus, SessionStatus } from '../../../shared/option-sets.js';
import { apiOk, runFlow, type ApiClient } from '../../support/api-harness.js';
import { waitFor } from '../../support/wait-for.js';
import type { AgentProcess } from '../../support/agent-process.js';
import { agentOutbox, type SessionAudit } from './session-audit.js';

/**
 * What the kill -9 / fault chaos runs share: the marked-lines flow their sessions run, the wait for the
 * orchestrator to catch up, the audit figures they report, and the printout of those figures.
 */
export const MARKED_LINES = fileURLToPath(new URL('../fixtures/marked-lines.mjs', import.meta.url));

/** clientdata of the chaos workflow: marked-lines.mjs run by this Node. */
export const MARKED_LINES_CLIENTDATA = JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, MARKED_LINES] });

/** Inputs of one session: `lines` lines written in bursts of 10 every 10 ms (1,000 lines ≈ 1 s of run). */
export const markedLinesInputs = (markerDir: string, lines: number) => ({ markerDir, lines, burst: 10, everyMs: 10 });

/** The waits between faults are the fault schedule, not synchronisation. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sessions of a chaos run, queued with RunDesktopFlow into `ids`: two kept waiting, then awaited to their end. */
export class ChaosSessions {
  constructor(
    readonly ids: string[],
    private readonly q: { readonly orch: ApiClient; readonly workflowId: string; readonly groupId: string; readonly markerDir: string; readonly lines: number },
  ) {}

  private async status(id: string): Promise<number> {
    return Number((await apiOk(this.q.orch, 'GET', `flowsessions(${id})?$select=statuscode`))['statuscode']);
  }

  /** Queues sessions until two are waiting. */
  async topUp(): Promise<void> {
    let waiting = 0;
    for (const id of this.ids) if ((await this.status(id)) === SessionStatus.v.Waiting) waiting += 1;
    for (; waiting < 2; waiting++) this.ids.push(await runFlow(this.q.orch, this.q.workflowId, { machineGroupId: this.q.groupId, inputs: markedLinesInputs(this.q.markerDir, this.q.lines) }));
  }

  async allEnded(timeoutMs: number, intervalMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const id of this.ids) if (!isTerminalStatus(await this.status(id))) return false;
        return true;
      },
      { what: 'every session to end', timeoutMs, intervalMs },
    );
  }
}

/** Gives the orchestrator up to 30 s to apply every event the agent committed; a shortfall shows in the figures. */
export async function settleApplied(appliedSeq: () => number | Promise<number>, agentDb: string): Promise<void> {
  await waitFor(async () => (await appliedSeq()) >= agentOutbox(agentDb).lastSeq, { what: 'every committed event to be applied', timeoutMs: 30_000 }).catch(() => undefined);
}

/** The figures every chaos run reports. */
export interface ChaosFigures {
  readonly seed: number;
  readonly sessions: number;
  readonly succeeded: number;
  /** Sessions that ended other than Succeeded (or, for the agent kill run, Aborted with AgentRestarted). */
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
  readonly audits: readonly SessionAudit[];
}

export interface RunOutcome {
  readonly seed: number;
  /** Date.now() when the run began. */
  readonly startedAt: number;
  readonly audits: readonly SessionAudit[];
  /** The agent's last committed seq and the orchestrator's applied seq. */
  readonly lastSeq: number;
  readonly applied: number;
  readonly agent: AgentProcess;
  /** An end that counts as expected besides Succeeded. */
  readonly expectedEnd?: (a: SessionAudit) => boolean;
}

export function chaosFigures(r: RunOutcome): ChaosFigures {
  const { audits, lastSeq, applied } = r;
  const sent = r.agent.sentFigures();
  const sum = (f: (a: SessionAudit) => number) => audits.reduce((n, a) => n + f(a), 0);
  return {
    seed: r.seed,
    sessions: audits.length,
    succeeded: audits.filter((a) => a.statuscode === 4).length,
    otherEnd: audits.filter((a) => a.statuscode !== 4 && !(r.expectedEnd?.(a) ?? false)).length,
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
    seconds: Math.round((Date.now() - r.startedAt) / 100) / 10,
    audits,
  };
}

/** The figures that must all be zero after any chaos run (the soak runs assert them together). */
export function failureTally(f: ChaosFigures) {
  return { losses: f.losses, duplicates: f.duplicates, misordered: f.misordered, unapplied: f.eventsUnapplied, ranTwice: f.ranTwice, otherEnd: f.otherEnd };
}

export const NO_FAILURES: ReturnType<typeof failureTally> = { losses: 0, duplicates: 0, misordered: 0, unapplied: 0, ranTwice: 0, otherEnd: 0 };

/** One printable block of the figures, without the per-session audits and file paths. */
export function formatFigures(f: object): string {
  return Object.entries(f)
    .filter(([k]) => k !== 'audits' && k !== 'logFiles')
    .map(([k, v]) => `${k.padEnd(22)} ${String(v)}`)
    .join('\n');
}
