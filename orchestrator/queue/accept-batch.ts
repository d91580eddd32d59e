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
  readonly accept: (tx: Repositories, machineId: string, sessionId: string) => OrchestratorFrame;
  /** After a failed commit: the in-memory state that took the uncommitted confirmations is read back. */
  readonly rollback: () => void;
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
    if (this.pending.length === 0) setImmediate(() => this.commit());
    this.pending.push({ machineId, sessionId, reply, fail });
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    let answers: OrchestratorFrame[];
    try {
      answers = this.o.store.crashSafeTransaction((tx) => batch.map((a) => this.o.accept(tx, a.machineId, a.sessionId)));
    } catch (err) {
      this.o.rollback();
      for (const a of batch) a.fail(err as Error);
      return;
    }
    batch.forEach((a, i) => a.reply(answers[i]!));
  }
}
