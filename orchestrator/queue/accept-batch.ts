import type { OrchestratorFrame } from '../../shared/protocol.js';
import type { Repositories, Store } from '../store/store.js';

interface PendingAccept {
  readonly machineId: string;
  readonly sessionId: string;
  readonly reply: (answer: OrchestratorFrame) => void;
  readonly fail: (err: Error) => void;
}

export interface AcceptBatchOptions {
  readonly store: Store;
  /** Answers one accept (confirm, revoke or error) and writes its confirmation in the batch's transaction `tx`. */
  readonly accept: (tx: Repositories, machineId: string, sessionId: string) => Promise<OrchestratorFrame>;
  /** After a failed commit: the in-memory state that took the uncommitted confirmations is read back. */
  readonly rollback: () => Promise<void>;
  /** Runs the batch's commit in turn with the queue's other changes (its lane). */
  readonly serialize: (job: () => Promise<void>) => Promise<void>;
  /** A batch that could not even be answered (its rollback failed too). */
  readonly failed: (err: Error) => void;
}

/**
 * The accepts that arrive in one turn of the event loop are confirmed in ONE crash-safe transaction, and each
 * answer goes out once it is durable (`AgentConnection.send`): an agent never holds a confirm the store does not.
 * Each accept is checked at commit time, so an offer taken back in between (its machine disconnected) is answered
 * `revoke`.
 */
export class AcceptBatch {
  private pending: PendingAccept[] = [];

  constructor(private readonly o: AcceptBatchOptions) {}

  add(machineId: string, sessionId: string, reply: (answer: OrchestratorFrame) => void, fail: (err: Error) => void): void {
    if (this.pending.length === 0) setImmediate(() => void this.o.serialize(() => this.commit()).catch((err: unknown) => this.o.failed(err as Error)));
    this.pending.push({ machineId, sessionId, reply, fail });
  }

  private async commit(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    let answers: OrchestratorFrame[];
    try {
      answers = await this.o.store.crashSafeTransaction(async (tx) => {
        const out: OrchestratorFrame[] = [];
        for (const a of batch) out.push(await this.o.accept(tx, a.machineId, a.sessionId));
        return out;
      });
    } catch (err) {
      for (const a of batch) a.fail(err as Error);
      await this.o.rollback();
      return;
    }
    batch.forEach((a, i) => a.reply(answers[i]!));
  }
}
