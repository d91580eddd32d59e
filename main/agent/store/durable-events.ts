import type { EncodedEvent, EventOutbox } from './event-outbox.js';
import type { StoreDb } from './store-db.js';

/**
 * Which outbox events may leave for the orchestrator: only durable ones, so a power loss never undoes an event it
 * applied (its seq would be handed out again). A deferred commit's events become durable with the fsync StoreDb runs
 * for the turn; events another process (`flowhost run`) committed to the same file, with the next fsync of this one.
 * Listeners hear of new events only once they are durable.
 */
export class DurableEvents {
  private durableSeq: number;
  private requested = false;
  /** Bumped when the outbox is renumbered: an fsync started before counts in the old numbering. */
  private epoch = 0;

  constructor(
    private readonly q: StoreDb,
    private readonly events: EventOutbox,
    private readonly notify: () => void,
  ) {
    // Commits a killed agent left unsynced become durable before any of their events is sent.
    this.durableSeq = q.fsyncNow() ? events.lastSeq() : events.lastAckedSeq();
  }

  /** A commit appended events; an fsync-ed one made them (and every earlier commit) durable. */
  appended(deferred: boolean): void {
    if (deferred) return this.request();
    this.durableSeq = this.events.lastSeq();
    this.notify();
  }

  /** The outbox was rewritten by an fsync-ed commit (rebase): every event is durable. */
  allDurable(): void {
    this.durableSeq = this.events.lastSeq();
    this.epoch++;
  }

  /**
   * How many events after `seq` to read for sending, at most `limit`: the durable ones (seqs have no gaps), so no event
   * is read and encoded only to be dropped; asks for an fsync when later ones are committed.
   */
  durableCount(seq: number, limit: number): number {
    const count = Math.max(0, Math.min(limit, this.durableSeq - seq));
    if (count < limit && this.events.lastSeq() > seq + count) this.request();
    return count;
  }

  /** The leading durable part of `rows` (in seq order); asks for an fsync when some are not durable yet. */
  durable(rows: EncodedEvent[]): EncodedEvent[] {
    const cut = rows.findIndex((r) => r.seq > this.durableSeq);
    if (cut === -1) return rows;
    this.request();
    return rows.slice(0, cut);
  }

  /** One fsync (shared by the turn's commits) for the events committed so far, then listeners hear of them. */
  private request(): void {
    if (this.requested) return;
    this.requested = true;
    const epoch = this.epoch;
    this.q.fsync(() => this.events.lastSeq()).then(
      (upTo) => {
        this.requested = false;
        if (epoch === this.epoch && upTo > this.durableSeq) this.durableSeq = upTo;
        // After the continuations of the same fsync (a session waiting to spawn its flow goes first).
        setImmediate(() => this.notify());
        if (this.q.db.open && this.events.lastSeq() > this.durableSeq) this.request();
      },
      () => {
        // The fsync failed (an I/O error) or the store closed: the events wait; the next try is in a second.
        setTimeout(() => {
          this.requested = false;
          if (this.q.db.open) this.request();
        }, 1000).unref();
      },
    );
  }
}
