import { ErrorCode, QueueReason } from '../../shared/error-codes.js';
import { isTerminalStatus } from '../../shared/option-sets.js';
import type { AgentState, OrchestratorFrame } from '../../shared/protocol.js';
import { DEFAULT_QUEUE_TIMEOUT_S, flowmachineEntity, flowmachinegroupEntity, flowsessionEntity, workflowEntity } from '../../shared/records/index.js';
import type { OrchestratorContext, SessionQueue } from '../context.js';
import { StoreError, type Row } from '../store/store.js';
import { AssignmentBook } from './assignment-book.js';
import { buildAssignFrame } from './assign-frame.js';
import { planDispatch, type MachineView, type SessionView } from './dispatch-plan.js';
import { appendFlowLog } from './flowlog-writer.js';
import { RejectCooldown } from './reject-cooldown.js';
import { finishSession, type Finish } from './session-finish.js';

/** What the queue needs from the gateway: the live state of connected machines and a way to reach them. */
export interface AgentLinks {
  /** State of a machine that is connected and said hello; undefined otherwise. */
  live(machineId: string): AgentState | undefined;
  /** Sends a frame; false when the machine is not connected. */
  send(machineId: string, frame: OrchestratorFrame): boolean;
}

export interface SessionQueueOptions {
  readonly ctx: OrchestratorContext;
  readonly links: AgentLinks;
  /** An offer without accept/reject for this long is revoked. Default 30 s. */
  readonly offerTimeoutMs?: number;
  /** A machine that rejected a session is not offered it again for this long. Default 60 s. */
  readonly rejectCooldownMs?: number;
  /** Callback delivery: re-sends on request, and sends for sessions the orchestrator itself ended. */
  readonly callbacks?: { trigger(sessionId: string): void; finished(sessionId: string): void };
}

/** Welcome data for a machine that just said hello. */
export interface HelloReconcile {
  readonly cancelSessions: string[];
  /** Frames to send right after `welcome` (re-sent confirms, timeout cancels). */
  readonly followUps: OrchestratorFrame[];
}

const WAITING = 3;

export class Queue implements SessionQueue {
  readonly book: AssignmentBook;
  readonly cooldown: RejectCooldown;
  private dispatching = false;
  private again = false;

  constructor(private readonly o: SessionQueueOptions) {
    this.book = new AssignmentBook(o.ctx.store);
    this.cooldown = new RejectCooldown(o.rejectCooldownMs ?? 60_000);
  }

  private get store() {
    return this.o.ctx.store;
  }
  private now(): Date {
    return this.o.ctx.now();
  }

  /** Loads assignments; offers that were never confirmed (orchestrator restarted) go back to the queue. */
  start(): void {
    this.book.load();
    for (const [id, a] of this.book.all()) if (a.state === 'offered') this.requeue(id);
    this.dispatch();
  }

  enqueued(sessionId: string): void {
    this.store.transaction(() => {
      const row = this.mustGet(sessionId);
      this.book.setTarget(sessionId, (row['_machineid_value'] as string | null) ?? null);
      appendFlowLog(this.store, sessionId, { type: 'Queued', level: 'Information', data: { priority: row['priority'] ?? 0 } });
    });
    this.dispatch();
  }

  machineChanged(_machineId: string): void {
    this.dispatch();
  }

  triggerCallback(sessionId: string): void {
    if (!this.o.callbacks) throw new Error('callback delivery is not configured');
    this.o.callbacks.trigger(sessionId);
  }

  private notifyFinished(sessionId: string): void {
    try {
      this.o.callbacks?.finished(sessionId);
    } catch (err) {
      this.o.ctx.logger.error(`callback of ${sessionId} not queued: ${(err as Error).message}`);
    }
  }

  close(): void {}

  private mustGet(sessionId: string): Row {
    const row = this.store.get(flowsessionEntity, sessionId);
    if (!row) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    return row;
  }

  /** Ends a session on the orchestrator's own decision. */
  finish(sessionId: string, f: Finish): void {
    const row = this.store.transaction(() => finishSession(this.store, sessionId, f));
    this.book.finished(sessionId);
    this.cooldown.forget(sessionId);
    if (row) this.notifyFinished(sessionId);
  }

  cancel(sessionId: string): Row {
    const row = this.mustGet(sessionId);
    if (isTerminalStatus(Number(row['statuscode']))) return row;
    const a = this.book.get(sessionId);
    if (a?.state === 'confirmed') {
      this.store.transaction(() => {
        this.book.setPendingCancel(sessionId, 'cancelled');
        appendFlowLog(this.store, sessionId, { type: 'CustomLog', level: 'Warning', name: 'CancelRequested', data: { stream: 'agent', message: 'cancel requested' } });
      });
      this.o.links.send(a.machineId, { type: 'cancel', sessionId, reason: 'cancelled' });
      return this.mustGet(sessionId);
    }
    if (a) this.o.links.send(a.machineId, { type: 'revoke', sessionId });
    this.store.transaction(() => {
      if (a) this.book.clear(sessionId);
      finishSession(this.store, sessionId, { statuscode: 7, completedon: this.now().toISOString(), errorcode: ErrorCode.Cancelled, errormessage: 'cancelled before it started' });
    });
    this.book.finished(sessionId);
    this.notifyFinished(sessionId);
    this.dispatch();
    return this.mustGet(sessionId);
  }

  /** Takes an unconfirmed offer back: the session waits again (for its original target, if any). */
  requeue(sessionId: string, log?: { machineId: string; errorcode: string; message: string }): void {
    this.store.transaction(() => {
      this.book.clear(sessionId);
      const row = this.store.get(flowsessionEntity, sessionId);
      if (!row || isTerminalStatus(Number(row['statuscode']))) return;
      this.store.update(flowsessionEntity, sessionId, { _machineid_value: this.book.target(sessionId), queuereason: null });
      if (log) appendFlowLog(this.store, sessionId, { type: 'AssignFailed', level: 'Warning', data: log });
    });
    if (log) this.cooldown.add(sessionId, log.machineId, this.now(), log.errorcode);
  }

  accept(machineId: string, sessionId: string): OrchestratorFrame {
    const a = this.book.get(sessionId);
    if (!a || a.machineId !== machineId) {
      return this.store.get(flowsessionEntity, sessionId)
        ? { type: 'revoke', sessionId }
        : { type: 'error', code: 'UnknownSession', message: `session ${sessionId} is not assigned to this machine` };
    }
    if (a.state === 'offered') {
      this.store.transaction(() => {
        this.book.set(sessionId, { machineId, state: 'confirmed', at: this.now().toISOString() });
        this.store.update(flowsessionEntity, sessionId, { queuereason: null });
        appendFlowLog(this.store, sessionId, { type: 'RunConfirmed', level: 'Information', data: { machineId } });
      });
    }
    return { type: 'confirm', sessionId };
  }

  reject(machineId: string, sessionId: string, errorcode: string, message: string): OrchestratorFrame | undefined {
    const a = this.book.get(sessionId);
    if (!a || a.machineId !== machineId || a.state !== 'offered') {
      return { type: 'error', code: 'NotOffered', message: `session ${sessionId} is not offered to this machine` };
    }
    this.requeue(sessionId, { machineId, errorcode, message });
    this.dispatch();
    return undefined;
  }

  /** The machine's connection closed: its unconfirmed offers go back to the queue. */
  disconnected(machineId: string): void {
    for (const [id, a] of this.book.ofMachine(machineId)) if (a.state === 'offered') this.requeue(id);
    this.dispatch();
  }

  /** Reconciles the sessions an agent says it holds with what the orchestrator knows. */
  hello(machineId: string, activeSessions: readonly string[]): HelloReconcile {
    const out: HelloReconcile = { cancelSessions: [], followUps: [] };
    for (const id of activeSessions) {
      const a = this.book.get(id);
      const row = this.store.get(flowsessionEntity, id);
      if (!a || a.machineId !== machineId || a.state !== 'confirmed' || !row || isTerminalStatus(Number(row['statuscode']))) {
        out.cancelSessions.push(id);
        continue;
      }
      const pending = this.book.pendingCancel(id);
      if (pending === 'cancelled') out.cancelSessions.push(id);
      else if (pending === 'timeout') out.followUps.push({ type: 'cancel', sessionId: id, reason: 'timeout' });
      else if (!row['startedon']) out.followUps.push({ type: 'confirm', sessionId: id });
    }
    return out;
  }

  /** A session ended by its agent's report. */
  ended(sessionId: string): void {
    this.book.finished(sessionId);
    this.cooldown.forget(sessionId);
    this.book.setPendingCancel(sessionId, null);
    this.dispatch();
  }

  /** Offers every session that can run now to a machine, and keeps every waiting session's reason current. */
  dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        this.dispatchOnce();
      } while (this.again);
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchOnce(): void {
    const now = this.now();
    const waiting = this.store.query(flowsessionEntity, { where: 'statuscode = ? AND statecode = 0', params: [WAITING] });
    const open = waiting.filter((r) => !this.book.get(String(r['flowsessionid'])));
    if (open.length === 0) return;
    const plan = planDispatch({
      sessions: open.map(sessionView),
      machines: this.machineViews(),
      now,
      cooldown: (s, m) => this.cooldown.reason(s, m, now),
    });
    const byId = new Map(open.map((r) => [String(r['flowsessionid']), r]));
    for (const { sessionId, machineId } of plan.assign) this.offer(byId.get(sessionId)!, machineId);
    // One commit for all changed reasons (each update alone would be its own fsync'd transaction).
    const changed = [...plan.reasons].filter(([id, reason]) => byId.get(id)?.['queuereason'] !== reason);
    if (changed.length > 0) this.store.transaction(() => changed.forEach(([id, reason]) => this.store.update(flowsessionEntity, id, { queuereason: reason })));
  }

  private machineViews(): MachineView[] {
    const groups = new Map(this.store.query(flowmachinegroupEntity).map((g) => [String(g['flowmachinegroupid']), g]));
    const assigned = new Map<string, number>();
    for (const [, a] of this.book.all()) assigned.set(a.machineId, (assigned.get(a.machineId) ?? 0) + 1);
    return this.store.query(flowmachineEntity).map((m) => {
      const id = String(m['flowmachineid']);
      const groupId = (m['_flowmachinegroupid_value'] as string | null) ?? null;
      const g = groupId ? groups.get(groupId) : undefined;
      return {
        id,
        groupId,
        statecode: Number(m['statecode'] ?? 0),
        groupStatecode: Number(g?.['statecode'] ?? 0),
        groupQueuingType: Number(g?.['preferredqueuingtype'] ?? 1),
        sessioncapacity: Number(m['sessioncapacity'] ?? 1),
        assigned: assigned.get(id) ?? 0,
        live: this.o.links.live(id),
      };
    });
  }

  private offer(session: Row, machineId: string): void {
    const sessionId = String(session['flowsessionid']);
    const workflow = this.store.get(workflowEntity, String(session['_regardingobjectid_value']));
    const built = buildAssignFrame(session, workflow);
    if (!built.ok) {
      this.finish(sessionId, { statuscode: 8, completedon: this.now().toISOString(), errorcode: ErrorCode.FlowDefinitionInvalid, errormessage: built.error });
      return;
    }
    this.store.transaction(() => {
      this.book.set(sessionId, { machineId, state: 'offered', at: this.now().toISOString() });
      this.store.update(flowsessionEntity, sessionId, { _machineid_value: machineId, queuereason: QueueReason.WaitingForConfirmation });
      appendFlowLog(this.store, sessionId, { type: 'QueueAssigned', level: 'Information', data: { machineId } });
    });
    if (!this.o.links.send(machineId, built.frame)) this.requeue(sessionId);
  }

  /** Deadline of a waiting session in the queue (ms since epoch). */
  static queueDeadline(row: Row): number {
    const created = Date.parse(String(row['createdon']));
    const scheduled = row['scheduledfor'] ? Date.parse(String(row['scheduledfor'])) : created;
    return Math.max(created, scheduled) + Number(row['queuetimeout'] ?? DEFAULT_QUEUE_TIMEOUT_S) * 1000;
  }
}

function sessionView(r: Row): SessionView {
  return {
    id: String(r['flowsessionid']),
    priority: Number(r['priority'] ?? 0),
    createdon: String(r['createdon']),
    scheduledfor: (r['scheduledfor'] as string | null) ?? null,
    groupId: (r['_machinegroupid_value'] as string | null) ?? null,
    targetMachineId: (r['_machineid_value'] as string | null) ?? null,
    runmode: Number(r['runmode'] ?? 2),
    sessionusername: (r['sessionusername'] as string | null) ?? null,
  };
}
