import { ErrorCode } from '../../shared/error-codes.js';
import { DEFAULT_RUN_TIMEOUT_S, flowsessionEntity } from '../../shared/records/index.js';
import { isTerminalStatus } from '../../shared/option-sets.js';
import type { OrchestratorContext } from '../context.js';
import { appendFlowLog } from './flowlog-writer.js';
import { Queue, type AgentLinks } from './session-queue.js';

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
}

/**
 * The queue's clock work: queue timeouts, unanswered offers, run timeouts and scheduled sessions
 * becoming due. Time comes from `ctx.now` so tests can move it.
 */
export class QueueTimers {
  private timer: NodeJS.Timeout | undefined;

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
      this.queueTimeouts();
      this.o.queue.dispatch();
    } catch (err) {
      this.o.ctx.logger.error(`queue tick failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private offerTimeouts(): void {
    const now = this.o.ctx.now().getTime();
    const limit = this.o.offerTimeoutMs ?? 30_000;
    for (const [id, a] of this.o.queue.book.all()) {
      if (a.state !== 'offered' || Date.parse(a.at) + limit > now) continue;
      this.o.links.send(a.machineId, { type: 'revoke', sessionId: id });
      this.o.queue.requeue(id, { machineId: a.machineId, errorcode: 'NoAnswer', message: `no accept or reject within ${limit} ms` });
    }
  }

  private runTimeouts(): void {
    const { store } = this.o.ctx;
    const now = this.o.ctx.now().getTime();
    const grace = this.o.runTimeoutGraceMs ?? 60_000;
    for (const [id, a] of this.o.queue.book.all()) {
      if (a.state !== 'confirmed') continue;
      const row = store.get(flowsessionEntity, id);
      if (!row || isTerminalStatus(Number(row['statuscode']))) continue;
      const base = Date.parse(String(row['startedon'] ?? a.at));
      const deadline = base + Number(row['timeout'] ?? DEFAULT_RUN_TIMEOUT_S) * 1000;
      if (now < deadline) continue;
      if (this.o.queue.book.pendingCancel(id) !== 'timeout') {
        store.transaction(() => {
          this.o.queue.book.setPendingCancel(id, 'timeout');
          appendFlowLog(store, id, { type: 'CustomLog', level: 'Warning', name: 'RunTimeout', data: { stream: 'agent', message: 'run timeout reached; cancelling' } });
        });
        this.o.links.send(a.machineId, { type: 'cancel', sessionId: id, reason: 'timeout' });
      }
      if (!this.o.links.live(a.machineId) && now >= deadline + grace) {
        this.o.queue.finish(id, {
          statuscode: 10,
          completedon: new Date(now).toISOString(),
          errorcode: ErrorCode.RunTimeout,
          errormessage: 'run timeout reached and the machine did not report',
        });
      }
    }
  }

  private queueTimeouts(): void {
    const { store } = this.o.ctx;
    const now = this.o.ctx.now();
    for (const row of store.query(flowsessionEntity, { where: 'statuscode = 3 AND statecode = 0' })) {
      const id = String(row['flowsessionid']);
      const a = this.o.queue.book.get(id);
      if (a?.state === 'confirmed' || Queue.queueDeadline(row) > now.getTime()) continue;
      if (a) {
        this.o.links.send(a.machineId, { type: 'revoke', sessionId: id });
        this.o.queue.book.clear(id);
      }
      this.o.queue.finish(id, {
        statuscode: 8,
        completedon: now.toISOString(),
        errorcode: ErrorCode.NoCandidateMachine,
        errormessage: `no machine took the session within its queue timeout (last reason: ${String(row['queuereason'] ?? 'none')})`,
      });
    }
  }
}
