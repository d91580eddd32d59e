import { ErrorCode } from '../../shared/error-codes.js';
import { DEFAULT_RUN_TIMEOUT_S } from '../../shared/records/index.js';
import { isTerminalStatus, SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorContext } from '../context.js';
import type { Queue, AgentLinks } from './session-queue.js';
import { SerialLane } from '../serial-lane.js';
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
  /** Ticks run one at a time; the timer skips a beat while one is under way. */
  private readonly ticks = new SerialLane();

  constructor(private readonly o: QueueTimersOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.ticks.size === 0) void this.tick();
    }, this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the timer; resolves once a tick under way is done. */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.ticks.idle();
  }

  /** One round of the clock work; resolves when it is done (a failure is logged, never thrown). */
  tick(): Promise<void> {
    return this.ticks.run(() => this.round());
  }

  private async round(): Promise<void> {
    try {
      await this.offerTimeouts();
      await this.runTimeouts();
      await this.cancelTimeouts();
      await this.queueTimeouts();
      this.o.queue.dispatch();
    } catch (err) {
      this.o.ctx.logger.error(`queue tick failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private async offerTimeouts(): Promise<void> {
    const now = this.o.ctx.now().getTime();
    const limit = this.o.offerTimeoutMs ?? 30_000;
    for (const [id, a] of this.o.queue.assignments.unansweredOffers()) {
      if (Date.parse(a.at) + limit > now) continue;
      await this.o.queue.revokeUnanswered(id, a, { machineId: a.machineId, errorcode: 'NoAnswer', message: `no accept or reject within ${limit} ms` });
    }
  }

  private async runTimeouts(): Promise<void> {
    const { store } = this.o.ctx;
    const now = this.o.ctx.now().getTime();
    const grace = this.o.runTimeoutGraceMs ?? 60_000;
    const confirmed = this.o.queue.assignments.confirmedSessions();
    if (this.runDeadlines.size > 2 * confirmed.length + 100) this.pruneRunDeadlines(new Set(confirmed.map(([id]) => id)));
    // A started session's deadline never changes (startedon and timeout are set once): its row is read once. The
    // rows to read are read together.
    const due = confirmed.filter(([id]) => {
      const known = this.runDeadlines.get(id);
      return known === undefined || now >= known;
    });
    const rows = await Promise.all(due.map(([id]) => store.sessions.get(id)));
    for (const [i, [id, a]] of due.entries()) {
      const row = rows[i];
      if (!row || (row.statuscode !== null && isTerminalStatus(row.statuscode))) continue;
      const base = Date.parse(row.startedon ?? a.at);
      const deadline = base + (row.timeout ?? DEFAULT_RUN_TIMEOUT_S) * 1000;
      if (row.startedon) this.runDeadlines.set(id, deadline);
      if (now < deadline) continue;
      await this.o.queue.cancelOnRunTimeout(id);
      if (!this.o.links.live(a.machineId) && now >= deadline + grace) {
        await this.o.queue.finish(id, {
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
  private async cancelTimeouts(): Promise<void> {
    const now = this.o.ctx.now().getTime();
    const grace = this.o.cancelGraceMs ?? 60_000;
    const pending = new Set<string>();
    const confirmed = this.o.queue.assignments.confirmedSessions();
    const reasons = await Promise.all(confirmed.map(([id]) => this.o.queue.assignments.pendingCancel(id)));
    for (const [i, [id, a]] of confirmed.entries()) {
      if (reasons[i] !== 'cancelled') continue;
      pending.add(id);
      const seen = this.cancelsSeen.get(id) ?? now;
      this.cancelsSeen.set(id, seen);
      if (now < seen + grace) continue;
      await this.o.queue.finish(id, {
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

  private async queueTimeouts(): Promise<void> {
    const { store } = this.o.ctx;
    const { queue } = this.o;
    const now = this.o.ctx.now();
    const expired = queue.waitingPastDeadline(now.getTime());
    const offered = queue.assignments.unansweredOffers();
    const offeredRows = await Promise.all(offered.map(([id]) => store.sessions.get(id)));
    offered.forEach(([id], i) => {
      const row = offeredRows[i];
      if (row && row.statuscode === SessionStatus.v.Waiting && queueDeadline(row) <= now.getTime()) expired.push(id);
    });
    const rows = await Promise.all(expired.map((id) => store.sessions.get(id)));
    for (const [i, id] of expired.entries()) {
      const row = rows[i];
      if (!row) continue;
      await queue.endUnplaced(id, {
        statuscode: SessionStatus.v.Failed,
        completedon: now.toISOString(),
        errorcode: ErrorCode.NoCandidateMachine,
        errormessage: `no machine took the session within its queue timeout (last reason: ${row.queuereason ?? 'none'})`,
      });
    }
  }
}
