import { ErrorCode } from '../../shared/error-codes.js';
import { isTerminalStatus, QueuingType, SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorFrame } from '../../shared/protocol.js';
import type { OrchestratorContext, SessionQueue, TriggeredCallback } from '../context.js';
import { StoreError, type Repositories, type SessionRecord } from '../store/store.js';
import { AcceptBatch } from './accept-batch.js';
import { AssignmentBook, type AssignmentQueries, type PendingCancel } from './assignment-book.js';
import type { AgentLinks } from './agent-links.js';
export type { AgentLinks } from './agent-links.js';
export type { HelloReconcile } from './hello-reconcile.js';
import { DispatchPass } from './dispatch-pass.js';
import { isUniform, type SessionView } from './dispatch-plan.js';
import { MachineDirectory } from './machine-directory.js';
import { isGroupPartition, partitionOf, partitionOfMachine } from './partitions.js';
import { QueuedRecords } from './queued-records.js';
import { appendFlowLog } from './flowlog-writer.js';
import { RejectCooldown } from './reject-cooldown.js';
import { reconcileHello, type HelloReconcile } from './hello-reconcile.js';
import { finishSession, type Finish } from './session-finish.js';
import { confirmationTimes, type QueueObserver } from './queue-observer.js';
import { HeldStatuses, queueStats, type QueueStats } from './queue-stats.js';
import { WaitingSessions } from './waiting-sessions.js';

/** The flowlog of a cancel request, per reason. */
const CANCEL_LOGS: Readonly<Record<PendingCancel, { name: string; message: string }>> = {
  cancelled: { name: 'CancelRequested', message: 'cancel requested' },
  timeout: { name: 'RunTimeout', message: 'run timeout reached; cancelling' },
};

export interface SessionQueueOptions {
  readonly ctx: OrchestratorContext;
  readonly links: AgentLinks;
  /** An offer without accept/reject for this long is revoked. Default 30 s. */
  readonly offerTimeoutMs?: number;
  /** A machine that rejected a session is not offered it again for this long. Default 60 s. */
  readonly rejectCooldownMs?: number;
  /** Callback delivery: re-sends on request, and sends for sessions the orchestrator itself ended. */
  readonly callbacks?: { triggerNow(sessionId: string): TriggeredCallback; finished(sessionId: string): void };
  /** Told of confirmations and ends as they happen (metrics). */
  readonly observer?: QueueObserver;
}

/**
 * The queue keeps in memory what a dispatch needs (waiting sessions, machine records, assignment counts); the store
 * stays the source of truth and every change is written before the memory is updated. A dispatch is requested for
 * the partitions (machine groups) a change can affect, and all requests of one turn of the event loop are served
 * by one pass.
 */
export class Queue implements Omit<SessionQueue, 'callbackSecretRotated'> {
  private readonly book: AssignmentBook;
  /** What callers may read about offers and confirmations; every change goes through the queue's methods. */
  readonly assignments: AssignmentQueries;
  private readonly cooldown: RejectCooldown;
  private readonly waiting: WaitingSessions;
  private readonly machines: MachineDirectory;
  /** Accepts of one turn, confirmed in one commit. */
  private readonly accepts: AcceptBatch;
  private dirty = new Set<string>();
  private allDirty = false;
  private scheduled = false;
  private readonly queued: QueuedRecords;
  private closed = false;
  private readonly pass: DispatchPass;
  /** Statuses of the sessions machines hold, for `stats`. */
  private readonly held: HeldStatuses;

  constructor(private readonly o: SessionQueueOptions) {
    this.book = new AssignmentBook(o.ctx.store);
    this.assignments = this.book;
    this.machines = new MachineDirectory(o.ctx.store);
    this.queued = new QueuedRecords(o.ctx.store, this.book);
    this.accepts = new AcceptBatch({ store: o.ctx.store, accept: (tx, m, s) => this.accept(tx, m, s), rollback: () => this.book.load() });
    this.cooldown = new RejectCooldown(o.rejectCooldownMs ?? 60_000);
    this.held = new HeldStatuses((id) => this.store.sessions.get(id)?.statuscode ?? undefined);
    this.waiting = new WaitingSessions({
      place: (view) => {
        const partition = partitionOf(view, this.machines);
        // A session targeted at a machine of a group is planned against that machine alone, not the group's pool.
        const targetInGroup = view.targetMachineId !== null && isGroupPartition(partition);
        return { partition, uniform: isUniform(view, this.cooldown.has(view.id), targetInGroup) };
      },
      fifo: (partition) => this.machines.queuingTypeOf(partition) === QueuingType.v.FIFO,
    });
    this.pass = new DispatchPass({
      store: o.ctx.store,
      now: () => o.ctx.now(),
      links: o.links,
      book: this.book,
      waiting: this.waiting,
      machines: this.machines,
      cooldown: this.cooldown,
      queued: this.queued,
      finish: (sessionId, f) => this.finish(sessionId, f),
      requeue: (sessionId) => this.requeue(sessionId),
    });
  }

  /** Sessions the planner looked at, over all passes (a pass's cost; see `PlanLine.settled`). */
  get visited(): number {
    return this.pass.visited;
  }

  private get store() {
    return this.o.ctx.store;
  }
  private now(): Date {
    return this.o.ctx.now();
  }

  /** What the queue holds now (see QueueStats), from memory: one walk over the waiting sessions and the assignments. */
  stats(nowMs: number): QueueStats {
    const groupsWithMachines = this.machines.all().flatMap((m) => (m.groupId === null ? [] : [m.groupId]));
    return queueStats({ lines: this.waiting.lines(), groupsWithMachines, assignments: this.book.all() }, this.held, nowMs);
  }

  /** An agent reported a held session's status (its `started` or `status` event is applied): for the figures only. */
  statusReported(sessionId: string, statuscode: number): void {
    this.held.set(sessionId, statuscode);
  }

  /** Loads assignments; offers that were never confirmed (orchestrator restarted) go back to the queue. */
  start(): void {
    this.book.load();
    this.machines.load();
    this.waiting.load(this.store, (id) => this.book.get(id) !== undefined);
    this.pass.filed();
    for (const { view } of this.waiting.values()) {
      if (!this.book.hasTarget(view.id)) this.queued.add(view.id, view.targetMachineId, view.priority);
    }
    for (const [id, a] of this.book.all()) if (a.state === 'offered') this.requeue(id);
    this.dispatch();
  }

  /** A new Waiting session (its row is committed); its `Queued` records are written later (see QueuedRecords). */
  enqueued(sessionId: string): void {
    const row = this.mustGet(sessionId);
    this.queued.add(sessionId, row._machineid_value, row.priority ?? 0);
    if (!this.book.get(sessionId)) this.markSession(this.waiting.put(row)?.view);
    this.schedule();
  }

  /** A session row was changed through the API (priority, schedule): re-file it if it waits. */
  sessionChanged(sessionId: string): void {
    this.queued.flush();
    if (this.book.get(sessionId)) return;
    this.markSession(this.waiting.get(sessionId)?.view);
    const row = this.store.sessions.get(sessionId);
    if (row) this.markSession(this.waiting.put(row)?.view);
    else this.waiting.delete(sessionId);
    this.schedule();
  }

  /** A machine was registered, changed or deleted (its row is committed): it is filed again. */
  machineChanged(machineId: string): void {
    for (const partition of this.machines.refresh(machineId)) this.dirty.add(partition);
    this.schedule();
  }

  /** A connected machine said hello or sent its state: its partition may take work now. */
  machineLive(machineId: string): void {
    this.markMachine(machineId);
    this.schedule();
  }

  triggerCallback(sessionId: string): TriggeredCallback {
    if (!this.o.callbacks) throw new Error('callback delivery is not configured');
    return this.o.callbacks.triggerNow(sessionId);
  }

  private notifyFinished(sessionId: string): void {
    try {
      this.o.callbacks?.finished(sessionId);
    } catch (err) {
      this.o.ctx.logger.error(`callback of ${sessionId} not queued: ${(err as Error).message}`);
    }
  }

  /** Stops dispatching (the store is about to close). */
  close(): void {
    this.closed = true;
  }

  private mustGet(sessionId: string): SessionRecord {
    const row = this.store.sessions.get(sessionId);
    if (!row) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    return row;
  }

  /** Ends a session on the orchestrator's own decision. */
  finish(sessionId: string, f: Finish): void {
    this.queued.flush();
    const finished = this.store.transaction((tx) => finishSession(tx, sessionId, f));
    this.markMachine(this.book.get(sessionId)?.machineId);
    this.markSession(this.waiting.delete(sessionId)?.view);
    this.book.finished(sessionId);
    this.held.forget(sessionId);
    this.cooldown.forget(sessionId);
    if (finished) {
      this.o.observer?.ended(f.statuscode);
      this.notifyFinished(sessionId);
    }
    this.schedule();
  }

  cancel(sessionId: string): SessionRecord {
    this.queued.flush();
    const row = this.mustGet(sessionId);
    if (row.statuscode !== null && isTerminalStatus(row.statuscode)) return row;
    const a = this.book.get(sessionId);
    if (a?.state === 'confirmed' && !this.store.machines.get(a.machineId)) {
      // Nobody is left to stop it or to report its end.
      this.finish(sessionId, { statuscode: SessionStatus.v.Cancelled, completedon: this.now().toISOString(), errorcode: ErrorCode.Cancelled, errormessage: `cancelled; its machine ${a.machineId} no longer exists` });
      return this.mustGet(sessionId);
    }
    if (a?.state === 'confirmed') {
      this.askToCancel(sessionId, a.machineId, 'cancelled');
      return this.mustGet(sessionId);
    }
    if (a) this.o.links.send(a.machineId, { type: 'revoke', sessionId });
    this.store.transaction((tx) => {
      if (a) this.book.clear(tx, sessionId);
      finishSession(tx, sessionId, { statuscode: SessionStatus.v.Cancelled, completedon: this.now().toISOString(), errorcode: ErrorCode.Cancelled, errormessage: 'cancelled before it started' });
    });
    this.markMachine(a?.machineId);
    this.markSession(this.waiting.delete(sessionId)?.view);
    this.book.finished(sessionId);
    this.o.observer?.ended(SessionStatus.v.Cancelled);
    this.notifyFinished(sessionId);
    this.schedule();
    return this.mustGet(sessionId);
  }

  /**
   * The run timeout of a confirmed session passed: its machine is asked to cancel it (once; the session ends when the
   * agent reports it, or by `finish` after a grace).
   */
  cancelOnRunTimeout(sessionId: string): void {
    const a = this.book.get(sessionId);
    if (a?.state !== 'confirmed' || this.book.pendingCancel(sessionId) === 'timeout') return;
    this.askToCancel(sessionId, a.machineId, 'timeout');
  }

  /** Records the pending cancel and its flowlog in one commit, then tells the machine. */
  private askToCancel(sessionId: string, machineId: string, reason: PendingCancel): void {
    const log = CANCEL_LOGS[reason];
    this.store.transaction((tx) => {
      this.book.setPendingCancel(tx, sessionId, reason);
      appendFlowLog(tx, sessionId, { type: 'CustomLog', level: 'Warning', name: log.name, data: { stream: 'agent', message: log.message } });
    });
    this.o.links.send(machineId, { type: 'cancel', sessionId, reason });
  }

  /**
   * A session no machine took within its queue timeout ends (`f`); an unanswered offer of it is revoked first. A
   * session a machine has confirmed meanwhile is left alone.
   */
  endUnplaced(sessionId: string, f: Finish): void {
    const a = this.book.get(sessionId);
    if (a?.state === 'confirmed') return;
    if (a) {
      this.o.links.send(a.machineId, { type: 'revoke', sessionId });
      this.book.clear(this.store, sessionId);
    }
    this.finish(sessionId, f);
  }

  /** Takes an unconfirmed offer back: the session waits again (for its original target, if any). */
  requeue(sessionId: string, log?: { machineId: string; errorcode: string; message: string }): void {
    this.queued.flush();
    const offeredTo = this.book.get(sessionId)?.machineId;
    const row = this.store.transaction((tx) => {
      this.book.clear(tx, sessionId);
      const current = tx.sessions.get(sessionId);
      if (!current || current.statuscode === null || isTerminalStatus(current.statuscode)) return undefined;
      const updated = tx.sessions.update(sessionId, { _machineid_value: this.book.target(sessionId, tx), queuereason: null });
      if (log) appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueAssignFailed', level: 'Warning', data: log });
      return updated;
    });
    if (log) this.cooldown.add(sessionId, log.machineId, this.now(), log.errorcode);
    this.markMachine(offeredTo);
    if (row) this.markSession(this.waiting.put(row)?.view);
  }

  /**
   * An agent accepted an offer: confirmed together with the other accepts of this turn in one commit; `reply` gets the
   * answer (confirm, or revoke for an offer taken back meanwhile) after that commit, `fail` the error of a failed one.
   */
  acceptOffer(machineId: string, sessionId: string, reply: (answer: OrchestratorFrame) => void, fail: (err: Error) => void): void {
    this.accepts.add(machineId, sessionId, reply, fail);
  }

  /** Answers one accept and writes its confirmation in the accept batch's transaction. */
  private accept(tx: Repositories, machineId: string, sessionId: string): OrchestratorFrame {
    const a = this.book.get(sessionId);
    // Not (or no longer) offered to this machine: the same answer whether the id exists or not, so a machine cannot
    // probe which session ids exist.
    if (!a || a.machineId !== machineId) return { type: 'revoke', sessionId };
    if (a.state === 'offered') {
      const now = this.now();
      this.book.set(tx, sessionId, { machineId, state: 'confirmed', at: now.toISOString() });
      tx.sessions.patch(sessionId, { queuereason: null });
      appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueRunConfirmed', level: 'Info', data: { machineId } });
      this.held.set(sessionId, SessionStatus.v.Waiting);
      this.o.observer?.confirmed(...confirmationTimes(tx.sessions.get(sessionId), a.at, now));
    }
    return { type: 'confirm', sessionId };
  }

  reject(machineId: string, sessionId: string, errorcode: string, message: string): OrchestratorFrame | undefined {
    const a = this.book.get(sessionId);
    if (!a || a.machineId !== machineId || a.state !== 'offered') {
      return { type: 'error', code: 'NotOffered', message: `session ${sessionId} is not offered to this machine` };
    }
    this.requeue(sessionId, { machineId, errorcode, message });
    this.schedule();
    return undefined;
  }

  /** The machine's connection closed: its unconfirmed offers go back to the queue. */
  disconnected(machineId: string): void {
    this.cooldown.machineDisconnected(machineId);
    for (const [id, a] of this.book.ofMachine(machineId)) if (a.state === 'offered') this.requeue(id);
    this.machineLive(machineId);
  }

  /** Reconciles the sessions an agent says it holds with what the orchestrator knows. */
  hello(machineId: string, activeSessions: readonly string[]): HelloReconcile {
    // A machine registered since the last look, or changed: its record joins the directory.
    this.machines.refresh(machineId);
    return reconcileHello(this.store, this.book, machineId, activeSessions);
  }

  /**
   * A run the machine started by itself (Local): recorded as confirmed to it, with it as the original target, in the
   * caller's store transaction.
   */
  recordLocalRun(tx: Repositories, sessionId: string, machineId: string, at: string): void {
    this.book.setTarget(tx, sessionId, machineId);
    this.book.set(tx, sessionId, { machineId, state: 'confirmed', at });
  }

  /** Waiting sessions (not offered) whose queue timeout is at or before `nowMs`. */
  waitingPastDeadline(nowMs: number): string[] {
    return this.waiting.expired(nowMs).map((w) => w.view.id);
  }

  /** A session ended by its agent's report. */
  ended(sessionId: string): void {
    if (this.o.observer) this.o.observer.ended(Number(this.store.sessions.get(sessionId)?.statuscode));
    this.markMachine(this.book.get(sessionId)?.machineId);
    this.book.finished(sessionId);
    this.held.forget(sessionId);
    this.cooldown.forget(sessionId);
    this.book.clearPendingCancel(this.store, sessionId);
    this.schedule();
  }

  /** Re-plans every partition (time moved on, or anything may have changed); served once per turn of the event loop. */
  dispatch(): void {
    this.allDirty = true;
    this.schedule();
  }

  private markMachine(machineId: string | undefined): void {
    if (machineId !== undefined) this.dirty.add(partitionOfMachine(machineId, this.machines));
  }

  private markSession(view: SessionView | undefined): void {
    if (view) this.dirty.add(partitionOf(view, this.machines));
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const all = this.allDirty;
      const dirty = this.dirty;
      this.allDirty = false;
      this.dirty = new Set();
      try {
        if (!this.closed) this.pass.run(all, dirty);
      } catch (err) {
        this.o.ctx.logger.error(`dispatch failed: ${(err as Error).stack ?? String(err)}`);
      }
      if (this.allDirty || this.dirty.size > 0) this.schedule();
    });
  }
}
