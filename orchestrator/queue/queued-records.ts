import type { Repositories, Store } from '../store/store.js';
import type { AssignmentBook } from './assignment-book.js';
import { appendFlowLog } from './flowlog-writer.js';

/**
 * Sessions enqueued since the last dispatch pass whose `Queued` flowlog and original target are not written yet. They
 * are written in the next pass's transaction, or before anything else is written about a session (`flush`); a session
 * whose target never got written (the orchestrator stopped in between) is recorded at the next start instead.
 */
export class QueuedRecords {
  private pending: { sessionId: string; target: string | null; priority: number }[] = [];

  constructor(
    private readonly store: Store,
    private readonly book: AssignmentBook,
  ) {}

  add(sessionId: string, target: string | null, priority: number): void {
    this.pending.push({ sessionId, target, priority });
  }

  get size(): number {
    return this.pending.length;
  }

  /** Writes those pending now inside the caller's store transaction `tx`; `written(count)` once that committed. */
  async write(tx: Repositories): Promise<number> {
    const batch = this.pending.slice();
    for (const q of batch) {
      await this.book.setTarget(tx, q.sessionId, q.target);
      await appendFlowLog(tx, q.sessionId, { type: 'DesktopFlowRunQueued', level: 'Info', data: { priority: q.priority } });
      // Other instances hear of the session once its records (its original target above all) are in.
      await tx.notifications.publish('session', q.sessionId);
    }
    return batch.length;
  }

  /** The first `count` (what `write` wrote) are committed; those added since stay pending. */
  written(count: number): void {
    this.pending = this.pending.slice(count);
  }

  /**
   * Writes them in a transaction of their own: before anything else is written about a session, its `Queued` record
   * must be in. Called in the queue's lane (session-queue.ts), as every change of the pending list but `add` is.
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.written(await this.store.transaction((tx) => this.write(tx)));
  }
}
