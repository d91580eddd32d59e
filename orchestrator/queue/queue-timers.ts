import { ErrorCode } from '../../shared/error-codes.js';
import { DEFAULT_RUN_TIMEOUT_S } from '../../shared/records/index.js';
import { isTerminalStatus, SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorContext } from '../context.js';
import type { Queue, AgentLinks } from './session-queue.js';
import { queueDeadline } from './waiting-sessions.js';

export interface QueueTimersOptions {
  readonly ctx: OrchestratorContext;
  readonly queue: Queue;
  readonly links: AgentLinks;
  /** Tick period. Default 1 s. */
  readonly tickMs?: number;
  /** An offer without answer for this long is revoked. Default 30 s. */
  readonly offerTimeoutMs?: number;
  /** After a run timeout, how long to wait for an absent agent before marking TimedOut here. Default 60 s. */
  readonly runTimeoutGraceMs?: number;
  /** After a cancel, how long to wait for the agent to report the session's end before marking it Cancelled here. Default 60 s. */
  readonly cancelGraceMs?: number;
}

/**
 * The queue's clock work: queue timeouts, unanswered offers, run timeouts and scheduled sessions
 * becoming due. Time comes from `ctx.now` so tests can move it.
 */
export class QueueTimers {
  private timer: NodeJS.Timeout | undefined;
  /** Run deadlines (ms) of started sessions. */
  private readonly runDeadlines = new Map<string, number>();
  /** When this process first saw each pending cancel (ms): its grace starts there (again after a restart). */
  private readonly cancelsSeen = new Map<string, number>();

  constructor(private readonly o: QueueTimersOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    try {
      this.offerTimeouts();
      this.runTimeouts();
      this.cancelTimeouts();
      this.queueTimeouts();
      this.o.queue.dispatch();
    } catch (err) {
      this.o.ctx.logger.error(`queue tick failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private offerTimeouts(): void {
    const now = this.o.ctx.now().getTime();
    const limit = this.o.offerTimeoutMs ?? 30_000;
    for (const [id, a] of this.o.queue.assignments.unansweredOffers()) {
      if (Date.parse(a.at) + limit > now) continue;
      this.o.links.send(a.machineId, { type: 'revoke', sessionId: id });
      this.o.queue.requeue(id, { machineId: a.machineId, errorcode: 'NoAnswer', message: `no accept or reject within ${limit} ms` });
    }
  }

  private runTimeouts(): void {
    const { store } = this.o.ctx;
    const now = this.o.ctx.now().getTime();
    const grace = this.o.runTimeoutGraceMs ?? 60_000;
    const confirmed = this.o.queue.assignments.confirmedSessions();
    if (this.runDeadlines.size > 2 * confirmed.length + 100) this.pruneRunDeadlines(new Set(confirmed.map(([id]) => id)));
    for (const [id, a] of confirmed) {
      // A started session's deadline never changes (startedon and timeout are set once): its row is read once.
      const known = this.runDeadlines.get(id);
      if (known !== undefined && now < known) continue;
      const row = store.sessions.get(id);
      if (!row || (row.statuscode !== null && isTerminalStatus(row.statuscode))) continue;
      const base = Date.parse(row.startedon ?? a.at);
      const deadline = base + (row.timeout ?? DEFAULT_RUN_TIMEOUT_S) * 1000;
      if (row.startedon) this.runDeadlines.set(id, deadline);
      if (now < deadline) continue;
      this.o.queue.cancelOnRunTimeout(id);
      if (!this.o.links.live(a.machineId) && now >= deadline + grace) {
        this.o.queue.finish(id, {
          statuscode: SessionStatus.v.TimedOut,
          completedon: new Date(now).toISOString(),
          errorcode: ErrorCode.RunTimeout,
          errormessage: 'run timeout reached and the machine did not report',
        });
      }
    }
  }

  /**
   * A cancelled session whose agent does not report its end within the grace (the machine is gone, offline or stuck)
   * ends Cancelled here, so it frees its slot and the workflow; an agent that reports later is ignored (terminal is
   * final) and is told to cancel it at its next hello.
   */
  private cancelTimeouts(): void {
    const now = this.o.ctx.now().getTime();
    const grace = this.o.cancelGraceMs ?? 60_000;
    const pending = new Set<string>();
    for (const [id, a] of this.o.queue.assignments.confirmedSessions()) {
      if (this.o.queue.assignments.pendingCancel(id) !== 'cancelled') continue;
      pending.add(id);
      const seen = this.cancelsSeen.get(id) ?? now;
      this.cancelsSeen.set(id, seen);
      if (now < seen + grace) continue;
      this.o.queue.finish(id, {
        statuscode: SessionStatus.v.Cancelled,
        completedon: new Date(now).toISOString(),
        errorcode: ErrorCode.Cancelled,
        errormessage: `cancelled; machine ${a.machineId} did not report the session's end within ${Math.round(grace / 1000)} s`,
      });
    }
    for (const id of this.cancelsSeen.keys()) if (!pending.has(id)) this.cancelsSeen.delete(id);
  }

  /** Waiting sessions (with or without an unconfirmed offer) past their queue timeout end NoCandidateMachine. */
  private pruneRunDeadlines(live: ReadonlySet<string>): void {
    for (const id of this.runDeadlines.keys()) if (!live.has(id)) this.runDeadlines.delete(id);
  }

  private queueTimeouts(): void {
    const { store } = this.o.ctx;
    const { queue } = this.o;
    const now = this.o.ctx.now();
    const expired = queue.waitingPastDeadline(now.getTime());
    for (const [id] of queue.assignments.unansweredOffers()) {
      const row = store.sessions.get(id);
      if (row && row.statuscode === SessionStatus.v.Waiting && queueDeadline(row) <= now.getTime()) expired.push(id);
    }
    for (const id of expired) {
      const row = store.sessions.get(id);
      if (!row) continue;
      queue.endUnplaced(id, {
        statuscode: SessionStatus.v.Failed,
        completedon: now.toISOString(),
        errorcode: ErrorCode.NoCandidateMachine,
        errormessage: `no machine took the session within its queue timeout (last reason: ${row.queuereason ?? 'none'})`,
      });
    }
  }
}
