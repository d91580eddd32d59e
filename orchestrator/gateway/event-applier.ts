import type { Static } from '@sinclair/typebox';
import { buildCallbackBody } from '../../shared/callback.js';
import { isTerminalStatus, SessionStatus, stateForStatus } from '../../shared/option-sets.js';
import type { LocalSessionEvent, Screenshot, SessionEvent, WireEvent } from '../../shared/protocol.js';
import type { FlowSession } from '../../shared/records/index.js';
import type { Repositories, SessionRecord, Store, Values } from '../store/store.js';
import { appendFlowLogs, type FlowLogEntry } from '../queue/flowlog-writer.js';
import { secretMasker } from '../queue/secret-inputs.js';
import { finishSession } from '../queue/session-finish.js';
import { maskJsonText } from '../../shared/secret-mask.js';
import { AgentClock } from './agent-clock.js';
import { LogRows } from './log-rows.js';

export const appliedSeq = (store: Repositories, machineId: string): Promise<number> => store.queueState.appliedSeq(machineId);

/** What the gateway knows about a machine's sessions while it applies its events. */
export interface EventChecks {
  /** Whether the machine owns the session (confirmed to it); read in the burst's transaction `tx`. */
  readonly owns: (tx: Repositories, sessionId: string) => Promise<boolean>;
  /** Creates the session of a `local-session` event in the burst's transaction `tx`; false when the id is another machine's. */
  readonly local: (tx: Repositories, event: Static<typeof LocalSessionEvent>) => Promise<boolean>;
}

export interface BurstResult {
  /** The machine's applied seq after the burst (what to ack); duplicates leave it as it was. */
  readonly appliedUpTo: number;
  /** Sessions a `completed` event of the burst ended, in order. */
  readonly ended: readonly string[];
  /** The statuses `started` and `status` events of the burst reported, in order (for the queue's figures). */
  readonly reported: readonly (readonly [sessionId: string, statuscode: number])[];
  /** Why the connection must close: a gap or a foreign session. Everything before it in the burst is applied. */
  readonly refused?: string;
}

/**
 * Applies a burst of one machine's events exactly once, in seq order, in one store transaction: each event's
 * effect and the applied seq commit together (the seq is written once per burst). A seq at or below the applied
 * seq is a duplicate (skipped); one further ahead than the next, or an event of a session the machine does not
 * own, stops the burst there with `refused`. Consecutive `log` and `log-chunk` events are merged into one flowlog append per
 * session. Timestamps are mapped from the agent's `clock` onto ours.
 */
export function applyEvents(store: Store, machineId: string, events: readonly WireEvent[], checks: EventChecks, clock = AgentClock.identity): Promise<BurstResult> {
  return store.crashSafeTransaction(async (tx): Promise<BurstResult> => {
    const before = await tx.queueState.appliedSeq(machineId);
    // Ownership is asked once per session of the burst (a backlog's log lines mostly name a few sessions); a
    // `local-session` event that creates one is asked every time.
    const owned = new Map<string, boolean>();
    const owns = async (sessionId: string): Promise<boolean> => {
      let yes = owned.get(sessionId);
      if (yes === undefined) owned.set(sessionId, (yes = await checks.owns(tx, sessionId)));
      return yes;
    };
    let applied = before;
    let refused: string | undefined;
    const ended: string[] = [];
    const reported: [string, number][] = [];
    const logs = new PendingLogs(tx, clock);
    for (const agentEvent of events) {
      if (agentEvent.seq <= applied) continue;
      // Log lines and chunks are mapped as they are written (PendingLogs), without copying each event.
      const event = agentEvent.kind === 'log' || agentEvent.kind === 'log-chunk' ? agentEvent : clock.mapEvent(agentEvent);
      if (event.seq !== applied + 1) {
        refused = `event seq ${event.seq} skips ahead; expected ${applied + 1}`;
        break;
      }
      if (event.kind === 'local-session' ? !(await checks.local(tx, event)) : !(await owns(event.sessionId))) {
        refused = `session ${event.sessionId} is not assigned to this machine`;
        break;
      }
      if (event.kind === 'local-session') owned.delete(event.sessionId);
      if (event.kind === 'log' || event.kind === 'log-chunk') logs.add(event);
      else {
        await logs.flush();
        if (await applyKind(tx, event, agentEvent)) ended.push(event.sessionId);
        if (event.kind === 'started') reported.push([event.sessionId, SessionStatus.v.Running]);
        else if (event.kind === 'status') reported.push([event.sessionId, event.statuscode]);
      }
      applied = event.seq;
    }
    await logs.flush();
    if (applied !== before) await tx.queueState.setAppliedSeq(machineId, applied);
    return refused === undefined ? { appliedUpTo: applied, ended, reported } : { appliedUpTo: applied, ended, reported, refused };
  });
}

/**
 * The lines of consecutive `log` and `log-chunk` events, per session, as flowlog rows (log-rows.ts), written as one
 * flowlog append (one store call) when a non-log event comes (it may read or write the session's flowlogs) or the
 * burst ends. A log of a session that does not exist is dropped, as before batching.
 */
class PendingLogs {
  private readonly bySession = new Map<string, FlowLogEntry[]>();
  private readonly rows: LogRows;

  constructor(
    private readonly tx: Repositories,
    clock: AgentClock,
  ) {
    this.rows = new LogRows(clock);
  }

  add(event: Extract<WireEvent, { kind: 'log' | 'log-chunk' }>): void {
    let entries = this.bySession.get(event.sessionId);
    if (!entries) this.bySession.set(event.sessionId, (entries = []));
    if (event.kind === 'log') this.rows.lines(event.lines, entries);
    else this.rows.chunk(event, entries);
  }

  async flush(): Promise<void> {
    for (const [sessionId, entries] of this.bySession) {
      if (!(await this.tx.sessions.get(sessionId))) continue;
      await appendFlowLogs(this.tx, sessionId, entries);
    }
    this.bySession.clear();
  }
}

const ms = (iso: string | null) => (typeof iso === 'string' ? Date.parse(iso) : NaN);

/** Returns true when the event ended the session. `asSent` is the event on the agent's clock (`e` is mapped onto ours). */
async function applyKind(tx: Repositories, e: SessionEvent, asSent: WireEvent): Promise<boolean> {
  const row = await tx.sessions.get(e.sessionId);
  if (!row) return false;
  const terminal = row.statuscode !== null && isTerminalStatus(row.statuscode);
  const update = async (patch: Values<FlowSession>): Promise<void> => {
    if (!terminal) await tx.sessions.patch(e.sessionId, patch);
  };
  switch (e.kind) {
    case 'started': {
      const wait = ms(e.startedon) - ms(row.createdon);
      await update({
        statuscode: SessionStatus.v.Running,
        queuereason: null,
        startedon: e.startedon,
        runwaitduration: Number.isNaN(wait) ? null : Math.max(0, Math.round(wait)),
        ...(e.sessionusername ? { sessionusername: e.sessionusername } : {}),
        ...(e.processversion ? { processversion: e.processversion } : {}),
      });
      return false;
    }
    case 'log':
      return false; // PendingLogs writes them
    case 'sample': {
      const last = e.samples[e.samples.length - 1]!;
      await update({ machinepercentcpuusage: last.machineCpuPercent, machinepercentramusage: last.machineRamPercent, machineramusage: last.machineRamUsedMb });
      return false;
    }
    case 'outputs': {
      const mask = await secretMasker(tx, row);
      await update({ outputs: mask ? maskJsonText(e.outputs, mask) : e.outputs });
      return false;
    }
    case 'status':
      if (row.statuscode === SessionStatus.v.Paused || row.statuscode === SessionStatus.v.Running) await update({ statuscode: e.statuscode });
      return false;
    case 'local-session':
      return false;
    case 'completed': {
      // Kept like a log line, also when the session had already ended here (e.g. timed out while its agent was away).
      if (e.screenshot) await keepScreenshot(tx, row.flowsessionid, e.screenshot);
      const mask = await secretMasker(tx, row);
      await finishSession(tx, e.sessionId, {
        statuscode: e.statuscode,
        completedon: e.completedon,
        startedon: e.startedon ?? null,
        errorcode: e.errorcode ?? null,
        errormessage: e.errormessage === undefined ? null : mask ? mask(e.errormessage) : e.errormessage,
        errordetails: e.errordetails === undefined ? null : mask ? maskJsonText(e.errordetails, mask) : e.errordetails,
        runexecutionduration: e.runexecutionduration ?? null,
        extra: {
          machinepercentcpuusage: e.machinepercentcpuusage ?? row.machinepercentcpuusage,
          machinepercentramusage: e.machinepercentramusage ?? row.machinepercentramusage,
          machineramusage: e.machineramusage ?? row.machineramusage,
        },
        ...(row.callbackurl && asSent.kind === 'completed' ? { callbackBody: agentCallbackBody(asSent, row) } : {}),
      }, row);
      return true;
    }
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Stores the picture of a `completed` event when it is a PNG (anything else is dropped: the event still applies). */
async function keepScreenshot(tx: Repositories, flowsessionid: string, shot: Screenshot): Promise<void> {
  const png = Buffer.from(shot.png, 'base64');
  if (png.length <= PNG_SIGNATURE.length || !png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return;
  await tx.screenshots.put({ flowsessionid, takenon: shot.takenon, png });
}

/**
 * The callback body the agent built when the session ended (main/agent/store/session-completion.ts): the same function
 * over the same values, on the agent's clock, with the outputs it reported (masked by it, and again here).
 */
function agentCallbackBody(e: Extract<SessionEvent, { kind: 'completed' }>, row: SessionRecord): string {
  return JSON.stringify(
    buildCallbackBody({
      flowsessionid: e.sessionId,
      statuscode: e.statuscode,
      statecode: stateForStatus(e.statuscode),
      startedon: e.startedon ?? null,
      completedon: e.completedon,
      outputs: row.outputs,
      errorcode: e.errorcode ?? null,
    }),
  );
}
