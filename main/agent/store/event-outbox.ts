import type Database from 'better-sqlite3';
import { MAX_LINES_PER_LOG_EVENT, MAX_LOG_CHUNK_CHARS, type Sample, type SessionEvent, type WireEvent } from '../../../shared/protocol.js';
import { encodeChunkEvent, encodeLinesOfRow, type ChunkRow } from './log-chunks.js';

/** Distributive Omit: an event before the outbox gives it its seq. */
export type NewEvent = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'seq'> : never) : never;

/**
 * Most lines per `log` event (protocol limit) and the byte budget that keeps a frame well under MAX_FRAME_BYTES (a `log`
 * event carries one chunk: the session log keeps chunks far below it).
 */
export const MAX_LINES_PER_EVENT = 5000;
export const MAX_EVENT_BYTES = 512 * 1024;
export const MAX_SAMPLES_PER_EVENT = 1000;

/** An outbox event as stored: its JSON text goes into the `event` frame unchanged (no parse and re-encode). */
export interface EncodedEvent {
  readonly seq: number;
  readonly sessionId: string;
  readonly kind: WireEvent['kind'];
  readonly body: string;
}

/** How a stored log chunk is sent: as a `log` event's lines (protocol 1) or as a `log-chunk` event (`log-chunks`). */
export type LogForm = 'lines' | 'chunks';

/**
 * The upstream outbox. seq comes from a counter row, so it strictly increases and is never reused even after
 * acks delete rows. Callers run these inside their own transaction (state change + event commit together).
 */
export class EventOutbox {
  private readonly nextSeq: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly insertChunkEvent: Database.Statement;
  private readonly after: Database.Statement;
  private readonly del: Database.Statement;
  private readonly getMeta: Database.Statement;
  private readonly setAcked: Database.Statement;

  constructor(db: Database.Database) {
    this.nextSeq = db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'last_seq' RETURNING value`);
    this.insert = db.prepare('INSERT INTO events (seq, session_id, kind, body) VALUES (?, ?, ?, ?)');
    this.after = db.prepare(
      `SELECT e.seq, e.session_id AS sessionId, e.kind, e.body, e.chunk_id, c.first_seq, c.last_seq, c.stream, c.level, c.at, c.times, c.text
       FROM events e LEFT JOIN log_chunks c ON c.id = e.chunk_id WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
    );
    this.insertChunkEvent = db.prepare('INSERT INTO events (seq, session_id, kind, body, chunk_id) VALUES (?, ?, ?, ?, ?)');
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

  /**
   * Appends the `log` event of one chunk: the stored event holds the reference (`chunk_id`), its lines are built from
   * the chunk when it is read to be sent. `insertChunk` stores the chunk under the event's seq and returns its id.
   */
  appendLogChunk(sessionId: string, at: string, insertChunk: (eventSeq: number) => number): number {
    const { value: seq } = this.nextSeq.get() as { value: number };
    const chunkId = insertChunk(seq);
    this.insertChunkEvent.run(seq, sessionId, 'log', JSON.stringify({ sessionId, at, kind: 'log', seq }), chunkId);
    return seq;
  }

  appendSamples(sessionId: string, at: string, samples: readonly Sample[]): number[] {
    return this.appendBatches({ sessionId, at, kind: 'sample' }, 'samples', samples, MAX_SAMPLES_PER_EVENT);
  }

  /**
   * One event per chunk of items. Each item is encoded once, both to size the chunks and to build the event's
   * JSON (this runs for every log line a flow writes).
   */
  private appendBatches(head: { sessionId: string; at: string; kind: 'sample' }, key: 'samples', items: readonly unknown[], maxItems: number): number[] {
    const seqs: number[] = [];
    for (const chunk of encodeInChunks(items, maxItems)) {
      const { value: seq } = this.nextSeq.get() as { value: number };
      const prefix = JSON.stringify({ ...head, seq });
      this.insert.run(seq, head.sessionId, head.kind, `${prefix.slice(0, -1)},"${key}":[${chunk.join(',')}]}`);
      for (let i = 0; i < chunk.length; i++) seqs.push(seq);
    }
    return seqs;
  }

  /**
   * The events after `seq` as sent. A chunk's `log` event: `lines`, its lines built from the chunk (the same JSON as a
   * copy), or `chunks`, a `log-chunk` event carrying the chunk as stored (to an orchestrator that declared `log-chunks`).
   */
  encodedEventsAfter(seq: number, limit: number, logs: LogForm = 'lines'): EncodedEvent[] {
    const rows = this.after.all(seq, limit) as (EncodedEvent & ChunkRow & { chunk_id: number | null })[];
    return rows.map((r) => {
      if (r.chunk_id === null) return { seq: r.seq, sessionId: r.sessionId, kind: r.kind, body: r.body };
      // A chunk over the event's bounds (none the session log cuts) goes as lines, which the orchestrator takes.
      if (logs === 'chunks' && r.text.length <= MAX_LOG_CHUNK_CHARS && r.last_seq - r.first_seq < MAX_LINES_PER_LOG_EVENT) {
        return { seq: r.seq, sessionId: r.sessionId, kind: 'log-chunk', body: encodeChunkEvent(r.body, r) };
      }
      return { seq: r.seq, sessionId: r.sessionId, kind: r.kind, body: `${r.body.slice(0, -1)},"lines":${encodeLinesOfRow(r)}}` };
    });
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
   * Renumbers the unacked events so the first follows `appliedUpTo` (and everything that points at them: log chunks,
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
    for (const [table, column] of [['log_chunks', 'event_seq'], ['samples', 'event_seq'], ['sessions', 'local_seq']] as const) {
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
