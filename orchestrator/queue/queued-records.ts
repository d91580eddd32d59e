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

  /** Writes them inside the caller's store transaction `tx`; `written()` once that committed. */
  write(tx: Repositories): void {
    for (const q of this.pending) {
      this.book.setTarget(tx, q.sessionId, q.target);
      appendFlowLog(tx, q.sessionId, { type: 'DesktopFlowRunQueued', level: 'Info', data: { priority: q.priority } });
    }
  }

  written(): void {
    this.pending = [];
  }

  /** Writes them in a transaction of their own: before anything else is written about a session, its `Queued` record must be in. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.store.transaction((tx) => this.write(tx));
    this.written();
  }
}
