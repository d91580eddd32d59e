import { ErrorCode } from '../../shared/error-codes.js';
import { isTerminalStatus, QueuingType, SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorFrame } from '../../shared/protocol.js';
import type { OrchestratorContext, SessionQueue, TriggeredCallback } from '../context.js';
import { SerialLane } from '../serial-lane.js';
import { StoreError, type ChangeListener, type Repositories, type SessionRecord } from '../store/store.js';
import { AcceptBatch } from './accept-batch.js';
import { AssignmentBook, type Assignment, type AssignmentQueries, type PendingCancel } from './assignment-book.js';
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
import { callbackWithheld, laterAttemptIds, nextAttempt } from './session-retry.js';
import { confirmationTimes, type QueueObserver } from './queue-observer.js';
import { HeldStatuses, queueStats, type QueueStats } from './queue-stats.js';
import { WaitingSessions } from './waiting-sessions.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { openChildrenOf } from './child-filters.js';

/** Most children one cascade cancels (the Web API keeps at most 100 open per parent). */
const MAX_CASCADE = 1000;

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
  readonly callbacks?: { triggerNow(sessionId: string): Promise<TriggeredCallback>; finished(sessionId: string): Promise<void> };
  /** Told of confirmations and ends as they happen (metrics). */
  readonly observer?: QueueObserver;
}

/**
 * The queue keeps in memory what a dispatch needs (waiting sessions, machine records, assignment counts); the store
 * stays the source of truth and every change is written before the memory is updated. A dispatch is requested for
 * the partitions (machine groups) a change can affect, and all requests of one turn of the event loop are served
 * by one pass.
 *
 * Every change of that memory that reads or writes the store runs in one lane (`SerialLane`), in arrival order: a
 * store answer may take real time (PostgreSQL), and a read-decide-write (an offer planned, a cancel judged against
 * the book) must not interleave with another. Code inside a store transaction never waits for the lane (a lane job
 * may be waiting for that transaction): `recordLocalRun` writes in its caller's transaction without it.
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
  /** The queue's changes, one at a time (see the class comment). */
  private readonly lane = new SerialLane();
  /** Stops hearing other instances' changes. */
  private unsubscribe: () => void = () => undefined;

  constructor(private readonly o: SessionQueueOptions) {
    this.book = new AssignmentBook(o.ctx.store);
    this.assignments = this.book;
    this.machines = new MachineDirectory(o.ctx.store);
    this.queued = new QueuedRecords(o.ctx.store, this.book);
    this.accepts = new AcceptBatch({
      store: o.ctx.store,
      accept: (tx, m, s) => this.accept(tx, m, s),
      rollback: () => this.book.load(),
      serialize: (job) => this.lane.run(job),
      failed: (err) => this.o.ctx.logger.error(`accepts not answered: ${err.stack ?? String(err)}`),
    });
    this.cooldown = new RejectCooldown(o.rejectCooldownMs ?? 60_000);
    this.held = new HeldStatuses(async (id) => (await this.store.sessions.get(id))?.statuscode ?? undefined);
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
      // The pass runs in the lane: it calls the unserialized transitions.
      finish: (sessionId, f) => this.finishNow(sessionId, f),
      requeue: (sessionId) => this.requeueNow(sessionId),
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
  stats(nowMs: number): Promise<QueueStats> {
    const groupsWithMachines = this.machines.all().flatMap((m) => (m.groupId === null ? [] : [m.groupId]));
    return queueStats({ lines: this.waiting.lines(), groupsWithMachines, assignments: this.book.all() }, this.held, nowMs);
  }

  /** An agent reported a held session's status (its `started` or `status` event is applied): for the figures only. */
  statusReported(sessionId: string, statuscode: number): void {
    this.held.set(sessionId, statuscode);
  }

  /** Loads assignments; offers that were never confirmed (orchestrator restarted) go back to the queue. */
  start(): Promise<void> {
    return this.lane.run(async () => {
      // Listening before reading: what other instances change meanwhile is applied after this job, read again.
      this.unsubscribe = await this.store.notifications.subscribe(this.remote);
      await this.book.load();
      await this.machines.load();
      await this.waiting.load(this.store, (id) => this.book.live(id) !== undefined);
      this.pass.filed();
      const views = [...this.waiting.values()].map((w) => w.view);
      const recorded = await Promise.all(views.map((view) => this.book.hasTarget(view.id)));
      views.forEach((view, i) => {
        if (!recorded[i]) this.queued.add(view.id, view.targetMachineId, view.priority);
      });
      for (const [id, a] of this.book.all()) if (a.state === 'offered') await this.requeueNow(id);
      this.dispatch();
    });
  }

  /** A new Waiting session (its row is committed); its `Queued` records are written later (see QueuedRecords). */
  enqueued(sessionId: string): Promise<void> {
    return this.lane.run(async () => {
      const row = await this.mustGet(sessionId);
      this.queued.add(sessionId, row._machineid_value, row.priority ?? 0);
      if (!(await this.book.get(sessionId))) this.markSession(this.waiting.put(row)?.view);
      this.schedule();
    });
  }

  /** A session row was changed through the API (priority, schedule): re-file it if it waits; other instances hear of it. */
  async sessionChanged(sessionId: string): Promise<void> {
    await this.lane.run(async () => {
      await this.queued.flush();
      await this.reload(sessionId);
    });
    await this.store.notifications.publish('session', sessionId);
  }

  /** Files the session as the store has it now: waiting unassigned, or not waiting here. Run in the lane. */
  private async reload(sessionId: string): Promise<void> {
    if (this.book.live(sessionId)) return;
    if (await this.book.get(sessionId)) {
      // Offered or confirmed (by another instance): it does not wait.
      this.markSession(this.waiting.delete(sessionId)?.view);
      return;
    }
    const row = await this.store.sessions.get(sessionId);
    this.markSession(this.waiting.get(sessionId)?.view);
    if (row) this.markSession(this.waiting.put(row)?.view);
    else this.waiting.delete(sessionId);
    this.schedule();
  }

  /** A machine was registered, changed or deleted (its row is committed): it is filed again; other instances hear of it. */
  async machineChanged(machineId: string): Promise<void> {
    await this.refreshMachine(machineId);
    await this.store.notifications.publish('machine', machineId);
  }

  private refreshMachine(machineId: string): Promise<void> {
    return this.lane.run(async () => {
      for (const partition of await this.machines.refresh(machineId)) this.dirty.add(partition);
      this.schedule();
    });
  }

  /**
   * What other instances on the same database publish (`Store.notifications`): a session queued, changed, ended or
   * waiting again there is filed (or dropped) here as the store has it, a machine changed there is filed again; after
   * a gap in which changes may have been missed, every waiting session is read again.
   */
  private readonly remote: ChangeListener = {
    changed: (kind, id) => {
      const job = kind === 'session' ? this.lane.run(() => this.reload(id)) : this.refreshMachine(id);
      job.catch((err: unknown) => this.o.ctx.logger.error(`change of ${kind} ${id} published by another instance not applied: ${(err as Error).message}`));
    },
    missed: () => {
      this.lane
        .run(async () => {
          await this.machines.load();
          await this.waiting.load(this.store, (id) => this.book.live(id) !== undefined);
          this.dispatch();
        })
        .catch((err: unknown) => this.o.ctx.logger.error(`waiting sessions not read again: ${(err as Error).message}`));
    },
  };

  /** A connected machine said hello or sent its state: its partition may take work now. */
  machineLive(machineId: string): void {
    this.markMachine(machineId);
    this.schedule();
  }

  triggerCallback(sessionId: string): Promise<TriggeredCallback> {
    if (!this.o.callbacks) return Promise.reject(new Error('callback delivery is not configured'));
    return this.o.callbacks.triggerNow(sessionId);
  }

  /**
   * After an attempt ended: its next attempt (created in the same commit when its retry policy asked for one) is filed
   * and no callback goes out; otherwise the callback, unless its agent sent it (`agentSent`: the agent had the URL).
   */
  private async notifyFinished(sessionId: string, agentReported = false): Promise<void> {
    const row = await this.store.sessions.get(sessionId);
    const next = row ? await nextAttempt(this.store, row) : undefined;
    if (next) {
      this.queued.add(next.flowsessionid, next._machineid_value, next.priority ?? 0);
      if (next.statuscode === SessionStatus.v.Waiting && !(await this.book.get(next.flowsessionid))) this.markSession(this.waiting.put(next)?.view);
      return;
    }
    if (agentReported && !(row && callbackWithheld(row))) return;
    try {
      await this.o.callbacks?.finished(sessionId);
    } catch (err) {
      this.o.ctx.logger.error(`callback of ${sessionId} not queued: ${(err as Error).message}`);
    }
  }

  /** Stops dispatching (the store is about to close); resolves once the changes under way are done. */
  close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    return this.lane.idle();
  }

  private async mustGet(sessionId: string): Promise<SessionRecord> {
    const row = await this.store.sessions.get(sessionId);
    if (!row) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    return row;
  }

  /** Ends a session on the orchestrator's own decision. */
  finish(sessionId: string, f: Finish): Promise<void> {
    return this.lane.run(() => this.finishNow(sessionId, f));
  }

  private async finishNow(sessionId: string, f: Finish): Promise<void> {
    await this.queued.flush();
    const finished = await this.store.transaction(async (tx) => {
      const ended = await finishSession(tx, sessionId, f, undefined, { now: () => this.now() });
      await tx.notifications.publish('session', sessionId);
      return ended;
    });
    this.markMachine((await this.book.get(sessionId))?.machineId);
    this.markSession(this.waiting.delete(sessionId)?.view);
    this.book.finished(sessionId);
    this.held.forget(sessionId);
    this.cooldown.forget(sessionId);
    if (finished) {
      this.o.observer?.ended(f.statuscode);
      await this.notifyFinished(sessionId);
      this.cascade(sessionId);
    }
    this.schedule();
  }

  /**
   * A parent that ended, or was asked to cancel, takes its open children with it, orphans excepted. Each cancel takes
   * its own turn in the lane, after the one that called this.
   */
  private cascade(parentId: string): void {
    setImmediate(() => void this.cancelChildren(parentId));
  }

  private async cancelChildren(parentId: string): Promise<void> {
    if (this.closed) return;
    try {
      const children = await this.store.records.list(flowsessionEntity, { filter: openChildrenOf(parentId, false), top: MAX_CASCADE });
      for (const child of children) await this.cancel(String(child[flowsessionEntity.key]));
    } catch (err) {
      this.o.ctx.logger.error(`children of ${parentId} not cancelled: ${(err as Error).message}`);
    }
  }

  cancel(sessionId: string): Promise<SessionRecord> {
    return this.lane.run(() => this.cancelNow(sessionId));
  }

  private async cancelNow(sessionId: string): Promise<SessionRecord> {
    await this.queued.flush();
    const row = await this.mustGet(sessionId);
    if (row.statuscode !== null && isTerminalStatus(row.statuscode)) {
      await this.cancelLaterAttempts(row);
      return row;
    }
    this.cascade(sessionId);
    const a = await this.book.get(sessionId);
    if (a?.state === 'confirmed' && !(await this.store.machines.get(a.machineId))) {
      // Nobody is left to stop it or to report its end.
      await this.finishNow(sessionId, { statuscode: SessionStatus.v.Cancelled, completedon: this.now().toISOString(), errorcode: ErrorCode.Cancelled, errormessage: `cancelled; its machine ${a.machineId} no longer exists` });
      return this.mustGet(sessionId);
    }
    if (a?.state === 'confirmed') {
      await this.askToCancel(sessionId, a.machineId, 'cancelled');
      return this.mustGet(sessionId);
    }
    if (a) this.o.links.send(a.machineId, { type: 'revoke', sessionId });
    await this.store.transaction(async (tx) => {
      // The session's row before its assignment, as every writer of both does: instances never wait in a cycle.
      await finishSession(tx, sessionId, { statuscode: SessionStatus.v.Cancelled, completedon: this.now().toISOString(), errorcode: ErrorCode.Cancelled, errormessage: 'cancelled before it started' });
      if (a) await this.book.clear(tx, sessionId);
      await tx.notifications.publish('session', sessionId);
    });
    this.markMachine(a?.machineId);
    this.markSession(this.waiting.delete(sessionId)?.view);
    this.book.finished(sessionId);
    this.o.observer?.ended(SessionStatus.v.Cancelled);
    await this.notifyFinished(sessionId);
    this.schedule();
    return this.mustGet(sessionId);
  }

  /** A cancel of any attempt stops its chain: a later attempt not yet ended is cancelled too. */
  private async cancelLaterAttempts(row: SessionRecord): Promise<void> {
    for (const id of laterAttemptIds(row)) {
      const later = await this.store.sessions.get(id);
      if (later && (later.statuscode === null || !isTerminalStatus(later.statuscode))) await this.cancelNow(id);
    }
  }

  /**
   * The run timeout of a confirmed session passed: its machine is asked to cancel it (once; the session ends when the
   * agent reports it, or by `finish` after a grace).
   */
  cancelOnRunTimeout(sessionId: string): Promise<void> {
    return this.lane.run(async () => {
      const a = await this.book.get(sessionId);
      if (a?.state !== 'confirmed' || (await this.book.pendingCancel(sessionId)) === 'timeout') return;
      await this.askToCancel(sessionId, a.machineId, 'timeout');
    });
  }

  /** Records the pending cancel and its flowlog in one commit, then tells the machine. */
  private async askToCancel(sessionId: string, machineId: string, reason: PendingCancel): Promise<void> {
    const log = CANCEL_LOGS[reason];
    await this.store.transaction(async (tx) => {
      await this.book.setPendingCancel(tx, sessionId, reason);
      await appendFlowLog(tx, sessionId, { type: 'CustomLog', level: 'Warning', name: log.name, data: { stream: 'agent', message: log.message } });
    });
    this.o.links.send(machineId, { type: 'cancel', sessionId, reason });
  }

  /**
   * A session no machine took within its queue timeout ends (`f`); an unanswered offer of it is revoked first. A
   * session a machine has confirmed meanwhile is left alone.
   */
  endUnplaced(sessionId: string, f: Finish): Promise<void> {
    return this.lane.run(async () => {
      const a = await this.book.get(sessionId);
      if (a?.state === 'confirmed') return;
      if (a) {
        this.o.links.send(a.machineId, { type: 'revoke', sessionId });
        await this.book.clear(this.store, sessionId);
      }
      await this.finishNow(sessionId, f);
    });
  }

  /**
   * An offer left unanswered: revoked and its session waits again, unless it was answered (or taken back) since the
   * caller saw it. Judged in the lane, where an accept cannot slip in between.
   */
  revokeUnanswered(sessionId: string, offer: Assignment, log: { machineId: string; errorcode: string; message: string }): Promise<void> {
    return this.lane.run(async () => {
      const a = this.book.live(sessionId);
      if (a?.state !== 'offered' || a.machineId !== offer.machineId || a.at !== offer.at) return;
      this.o.links.send(a.machineId, { type: 'revoke', sessionId });
      await this.requeueNow(sessionId, log);
    });
  }

  /** Takes an unconfirmed offer back: the session waits again (for its original target, if any). */
  requeue(sessionId: string, log?: { machineId: string; errorcode: string; message: string }): Promise<void> {
    return this.lane.run(() => this.requeueNow(sessionId, log));
  }

  private async requeueNow(sessionId: string, log?: { machineId: string; errorcode: string; message: string }): Promise<void> {
    await this.queued.flush();
    const offeredTo = (await this.book.get(sessionId))?.machineId;
    const row = await this.store.transaction(async (tx) => {
      const current = await tx.sessions.get(sessionId);
      const open = current !== undefined && current.statuscode !== null && !isTerminalStatus(current.statuscode);
      // The session's row before its assignment, as every writer of both does: instances never wait in a cycle.
      const updated = open ? await tx.sessions.update(sessionId, { _machineid_value: await this.book.target(sessionId, tx), queuereason: null }) : undefined;
      await this.book.clear(tx, sessionId);
      if (!updated) return undefined;
      if (log) await appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueAssignFailed', level: 'Warning', data: log });
      // It waits again: any instance may offer it now.
      await tx.notifications.publish('session', sessionId);
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

  /** Answers one accept and writes its confirmation in the accept batch's transaction (which runs in the lane). */
  private async accept(tx: Repositories, machineId: string, sessionId: string): Promise<OrchestratorFrame> {
    const a = await this.book.get(sessionId, tx);
    // Not (or no longer) offered to this machine: the same answer whether the id exists or not, so a machine cannot
    // probe which session ids exist.
    if (!a || a.machineId !== machineId) return { type: 'revoke', sessionId };
    if (a.state === 'offered') {
      const now = this.now();
      // The session's row before its assignment, as every writer of both does: instances never wait in a cycle.
      await tx.sessions.patch(sessionId, { queuereason: null });
      await this.book.set(tx, sessionId, { machineId, state: 'confirmed', at: now.toISOString() });
      await appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueRunConfirmed', level: 'Info', data: { machineId } });
      this.held.set(sessionId, SessionStatus.v.Waiting);
      this.o.observer?.confirmed(...confirmationTimes(await tx.sessions.get(sessionId), a.at, now));
    }
    return { type: 'confirm', sessionId };
  }

  reject(machineId: string, sessionId: string, errorcode: string, message: string): Promise<OrchestratorFrame | undefined> {
    return this.lane.run(async () => {
      const a = await this.book.get(sessionId);
      if (!a || a.machineId !== machineId || a.state !== 'offered') {
        return { type: 'error', code: 'NotOffered', message: `session ${sessionId} is not offered to this machine` };
      }
      await this.requeueNow(sessionId, { machineId, errorcode, message });
      this.schedule();
      return undefined;
    });
  }

  /** The machine's connection closed: its unconfirmed offers go back to the queue. */
  disconnected(machineId: string): Promise<void> {
    return this.lane.run(async () => {
      this.cooldown.machineDisconnected(machineId);
      for (const [id, a] of this.book.ofMachine(machineId)) if (a.state === 'offered') await this.requeueNow(id);
      this.machineLive(machineId);
    });
  }

  /** Reconciles the sessions an agent says it holds with what the orchestrator knows. */
  hello(machineId: string, activeSessions: readonly string[]): Promise<HelloReconcile> {
    return this.lane.run(async () => {
      // A machine registered since the last look, or changed: its record joins the directory.
      await this.machines.refresh(machineId);
      return reconcileHello(this.store, this.book, machineId, activeSessions);
    });
  }

  /**
   * A run the machine started by itself (Local): recorded as confirmed to it, with it as the original target, in the
   * caller's store transaction. Not in the lane (a lane job may be waiting for that transaction); the session is new,
   * so no lane job has it in hand.
   */
  async recordLocalRun(tx: Repositories, sessionId: string, machineId: string, at: string): Promise<void> {
    await this.book.setTarget(tx, sessionId, machineId);
    await this.book.set(tx, sessionId, { machineId, state: 'confirmed', at });
  }

  /** Waiting sessions (not offered) whose queue timeout is at or before `nowMs`. */
  waitingPastDeadline(nowMs: number): string[] {
    return this.waiting.expired(nowMs).map((w) => w.view.id);
  }

  /** A session ended by its agent's report. */
  ended(sessionId: string): Promise<void> {
    return this.lane.run(async () => {
      if (this.o.observer) this.o.observer.ended(Number((await this.store.sessions.get(sessionId))?.statuscode));
      this.markMachine((await this.book.get(sessionId))?.machineId);
      this.book.finished(sessionId);
      this.held.forget(sessionId);
      this.cooldown.forget(sessionId);
      await this.book.clearPendingCancel(this.store, sessionId);
      await this.notifyFinished(sessionId, true);
      this.cascade(sessionId);
      this.schedule();
    });
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

  /** One pass at the end of this turn of the event loop, in the lane: it serves every mark made until it starts. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.lane
        .run(async () => {
          this.scheduled = false;
          const all = this.allDirty;
          const dirty = this.dirty;
          this.allDirty = false;
          this.dirty = new Set();
          if (!this.closed) await this.pass.run(all, dirty);
        })
        .catch((err: unknown) => this.o.ctx.logger.error(`dispatch failed: ${(err as Error).stack ?? String(err)}`))
        .finally(() => {
          if (this.allDirty || this.dirty.size > 0) this.schedule();
        });
    });
  }
}
