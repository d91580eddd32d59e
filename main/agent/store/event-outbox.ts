import type Database from 'better-sqlite3';
import { type LogLine, type Sample, type SessionEvent } from '../../../shared/protocol.js';

/** Distributive Omit: an event before the outbox gives it its seq. */
export type NewEvent = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'seq'> : never) : never;

/** Most lines per `log` event (protocol limit) and the byte budget that keeps a frame well under MAX_FRAME_BYTES. */
export const MAX_LINES_PER_EVENT = 5000;
export const MAX_EVENT_BYTES = 512 * 1024;
export const MAX_SAMPLES_PER_EVENT = 1000;

/** An outbox event as stored: its JSON text goes into the `event` frame unchanged (no parse and re-encode). */
export interface EncodedEvent {
  readonly seq: number;
  readonly sessionId: string;
  readonly kind: SessionEvent['kind'];
  readonly body: string;
}

/**
 * The upstream outbox. seq comes from a counter row, so it strictly increases and is never reused even after
 * acks delete rows. Callers run these inside their own transaction (state change + event commit together).
 */
export class EventOutbox {
  private readonly nextSeq: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly after: Database.Statement;
  private readonly del: Database.Statement;
  private readonly getMeta: Database.Statement;
  private readonly setAcked: Database.Statement;

  constructor(db: Database.Database) {
    this.nextSeq = db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'last_seq' RETURNING value`);
    this.insert = db.prepare('INSERT INTO events (seq, session_id, kind, body) VALUES (?, ?, ?, ?)');
    this.after = db.prepare('SELECT seq, session_id AS sessionId, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.del = db.prepare('DELETE FROM events WHERE seq <= ?');
    this.getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.setAcked = db.prepare(`UPDATE meta SET value = MAX(value, ?) WHERE key = 'last_acked_seq'`);
  }

  /** Appends one event; returns its seq. Must run inside a transaction. */
  append(event: NewEvent): number {
    const { value: seq } = this.nextSeq.get() as { value: number };
    const full = { ...event, seq } as SessionEvent;
    this.insert.run(seq, full.sessionId, full.kind, JSON.stringify(full));
    return seq;
  }

  /** Appends `log` events for the lines, split by count and bytes; returns the seq of each line's event. */
  appendLog(sessionId: string, at: string, lines: readonly LogLine[]): number[] {
    return this.appendBatches({ sessionId, at, kind: 'log' }, 'lines', lines, MAX_LINES_PER_EVENT);
  }

  appendSamples(sessionId: string, at: string, samples: readonly Sample[]): number[] {
    return this.appendBatches({ sessionId, at, kind: 'sample' }, 'samples', samples, MAX_SAMPLES_PER_EVENT);
  }

  /**
   * One event per chunk of items. Each item is encoded once, both to size the chunks and to build the event's
   * JSON (this runs for every log line a flow writes).
   */
  private appendBatches(head: { sessionId: string; at: string; kind: 'log' | 'sample' }, key: 'lines' | 'samples', items: readonly unknown[], maxItems: number): number[] {
    const seqs: number[] = [];
    for (const chunk of encodeInChunks(items, maxItems)) {
      const { value: seq } = this.nextSeq.get() as { value: number };
      const prefix = JSON.stringify({ ...head, seq });
      this.insert.run(seq, head.sessionId, head.kind, `${prefix.slice(0, -1)},"${key}":[${chunk.join(',')}]}`);
      for (let i = 0; i < chunk.length; i++) seqs.push(seq);
    }
    return seqs;
  }

  encodedEventsAfter(seq: number, limit: number): EncodedEvent[] {
    return this.after.all(seq, limit) as EncodedEvent[];
  }

  eventsAfter(seq: number, limit: number): SessionEvent[] {
    // Our own rows, written from typed events above.
    return this.encodedEventsAfter(seq, limit).map((r) => JSON.parse(r.body) as SessionEvent);
  }

  /** Deletes events up to `seq` (capped at the last seq handed out); the counter is untouched. */
  ackUpTo(seq: number): void {
    const upTo = Math.min(seq, this.lastSeq());
    this.del.run(upTo);
    this.setAcked.run(upTo);
  }

  lastSeq(): number {
    return (this.getMeta.get('last_seq') as { value: number }).value;
  }

  /**
   * Renumbers the unacked events so the first follows `appliedUpTo` (and everything that points at them: log lines,
   * samples, local sessions), and makes `appliedUpTo` the acked seq. For an orchestrator whose count is not within
   * [lastAckedSeq, lastSeq]: an outbox that was lost (a fresh store under a known credential) numbers after what the
   * orchestrator applied, never below it (those seqs would be taken for duplicates). Must run inside a transaction.
   */
  rebase(db: Database.Database, appliedUpTo: number): { shift: number; pending: number } {
    const acked = this.lastAckedSeq();
    const shift = appliedUpTo - acked;
    const pending = this.pendingCount();
    if (shift === 0) return { shift, pending };
    // Two passes through negative keys: a shift down may land on seqs still held by later rows.
    db.prepare(`UPDATE events SET seq = -(seq + @shift), body = json_set(body, '$.seq', seq + @shift)`).run({ shift });
    db.prepare('UPDATE events SET seq = -seq').run();
    for (const [table, column] of [['log_lines', 'event_seq'], ['samples', 'event_seq'], ['sessions', 'local_seq']] as const) {
      db.prepare(`UPDATE ${table} SET ${column} = ${column} + ? WHERE ${column} > ?`).run(shift, acked);
    }
    db.prepare(`UPDATE meta SET value = value + ? WHERE key = 'last_seq'`).run(shift);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'last_acked_seq'`).run(appliedUpTo);
    return { shift, pending };
  }

  lastAckedSeq(): number {
    return (this.getMeta.get('last_acked_seq') as { value: number }).value;
  }

  /** O(1): seqs are handed out without gaps and only an ack deletes (every event up to it), so no COUNT(*) scan of a large backlog. */
  pendingCount(): number {
    return this.lastSeq() - this.lastAckedSeq();
  }
}

/** Encodes items as JSON, in chunks of at most `maxItems` and about MAX_EVENT_BYTES each (at least one item per chunk). */
export function encodeInChunks(items: readonly unknown[], maxItems: number, maxBytes = MAX_EVENT_BYTES): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const json = JSON.stringify(item);
    const size = Buffer.byteLength(json) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
