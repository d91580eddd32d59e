import { ErrorCode } from '../../shared/error-codes.js';
import { isTerminalStatus, SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorContext } from '../context.js';
import { appendFlowLog } from '../queue/flowlog-writer.js';
import type { Queue } from '../queue/session-queue.js';

export interface LostSessionsOptions {
  readonly ctx: OrchestratorContext;
  readonly queue: Queue;
  readonly machineId: string;
}

/**
 * Sessions confirmed to a machine whose agent said hello without them. They are judged only once every event the
 * agent had at hello is applied (applied seq ≥ `hello.lastSeq`): a `completed` still in its outbox ends them
 * normally. What is still open then was lost with the agent's store → Aborted, errorcode AgentLostSession.
 * An agent that does not send `lastSeq` is not judged.
 */
export class LostSessions {
  private candidates: string[] = [];
  private until = Number.POSITIVE_INFINITY;

  constructor(private readonly o: LostSessionsOptions) {}

  hello(activeSessions: readonly string[], lastSeq: number | undefined): void {
    if (lastSeq === undefined) return;
    const held = new Set(activeSessions);
    this.candidates = this.o.queue.assignments.confirmedSessionsOf(this.o.machineId).filter((id) => !held.has(id));
    this.until = lastSeq;
  }

  /** Called with the machine's applied seq after hello and after every event. */
  async applied(seq: number): Promise<void> {
    if (this.candidates.length === 0 || seq < this.until) return;
    const ids = this.candidates;
    this.candidates = [];
    const { store, logger } = this.o.ctx;
    for (const id of ids) {
      const row = await store.sessions.get(id);
      if (!row || (row.statuscode !== null && isTerminalStatus(row.statuscode))) continue;
      const message = 'the machine reconnected without this session (its agent lost it: data dir wiped or store lost); the run is aborted';
      await store.transaction((tx) =>
        appendFlowLog(tx, id, { type: 'CustomLog', level: 'Error', name: ErrorCode.AgentLostSession, data: { stream: 'agent', message } }),
      );
      await this.o.queue.finish(id, { statuscode: SessionStatus.v.Aborted, completedon: this.o.ctx.now().toISOString(), errorcode: ErrorCode.AgentLostSession, errormessage: message });
      logger.warn(`session ${id} aborted: machine ${this.o.machineId} no longer holds it (${ErrorCode.AgentLostSession})`);
    }
  }
}
