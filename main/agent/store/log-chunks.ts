import type { LogChunk, LogLine } from './store-types.js';
import type { StoreDb } from './store-db.js';

/** A `log_chunks` row as read back (the columns the wire frame and the readers need). */
export interface ChunkRow {
  readonly first_seq: number;
  readonly last_seq: number;
  readonly stream: LogLine['stream'];
  readonly level: number;
  readonly at: string;
  /** JSON `[[at, lines], …]` when its lines do not all share `at`; NULL when they do. */
  readonly times: string | null;
  readonly text: string;
}

const CHUNK_COLUMNS = 'first_seq, last_seq, stream, level, at, times, text';

/** The time of each line of a chunk row, in order. */
function timesOf(row: ChunkRow): (i: number) => string {
  if (row.times === null) return () => row.at;
  const runs = JSON.parse(row.times) as [string, number][];
  const at: string[] = [];
  for (const [time, n] of runs) for (let i = 0; i < n; i++) at.push(time);
  return (i) => at[i] ?? at[at.length - 1] ?? row.at;
}

/** The lines of a chunk: its text cut at `\n`, numbered from its first seq. */
export function linesOfRow(row: ChunkRow): LogLine[] {
  const messages = row.text.split('\n');
  const at = timesOf(row);
  return messages.map((message, i) => ({ seq: row.first_seq + i, level: row.level, stream: row.stream, at: at(i), message }));
}

/** The lines of a chunk before it is stored (what a reader gets back for it). */
export function linesOfChunk(chunk: LogChunk): LogLine[] {
  const at = chunk.times.flatMap((t) => Array.from({ length: t.lines }, () => t.at));
  return chunk.text.split('\n').map((message, i) => ({ seq: chunk.firstSeq + i, level: chunk.level, stream: chunk.stream, at: at[i] ?? '', message }));
}

/**
 * The `lines` array of a `log` event as JSON text, built from the chunk when the event is sent (the stored event
 * holds only the reference): the very text JSON.stringify of the lines gives. The chunk's text is JSON-encoded at
 * once: without a backslash in it, every `\n` of the encoding is a line break, so it splits into the lines' encodings.
 */
export function encodeLinesOfRow(row: ChunkRow): string {
  const messages = row.text.includes('\\') ? row.text.split('\n').map((m) => JSON.stringify(m).slice(1, -1)) : JSON.stringify(row.text).slice(1, -1).split('\\n');
  const runs: [string, number][] = row.times === null ? [[row.at, messages.length]] : (JSON.parse(row.times) as [string, number][]);
  let out = '[';
  let i = 0;
  for (const [at, count] of runs) {
    const shared = `,"level":${row.level},"stream":"${row.stream}","at":"${at}","message":"`;
    for (const end = Math.min(i + count, messages.length); i < end; i++) out += `${i > 0 ? ',' : ''}{"seq":${row.first_seq + i}${shared}${messages[i]}"}`;
  }
  return `${out}]`;
}

/**
 * The body of a `log-chunk` event (feature `log-chunks`) from the stored event's head (`{"sessionId",…,"seq":n}`) and
 * its chunk: the text JSON-encoded once, the times as stored (or the one run of the chunk's lines).
 */
export function encodeChunkEvent(head: string, row: ChunkRow): string {
  const times = row.times ?? `[[${JSON.stringify(row.at)},${row.last_seq - row.first_seq + 1}]]`;
  return (
    `${head.slice(0, -1).replace('"kind":"log"', '"kind":"log-chunk"')},"stream":"${row.stream}","level":${row.level},"firstLine":${row.first_seq},` +
    `"times":${times},"text":${JSON.stringify(row.text)}}`
  );
}

/** A chunk as the table stores it: lines sharing one time store no `times`. */
function timesColumn(chunk: LogChunk): string | null {
  return chunk.times.length <= 1 ? null : JSON.stringify(chunk.times.map((t) => [t.at, t.lines]));
}

/**
 * Lines given one by one (an API caller, a test) as chunks: consecutive lines of one stream and level with
 * consecutive seqs, at most `maxLines` lines and about `maxChars` characters each (at least one line).
 */
export function chunksOfLines(lines: readonly LogLine[], maxLines: number, maxChars: number): LogChunk[] {
  const chunks: LogChunk[] = [];
  let open: { first: LogLine; messages: string[]; chars: number; times: { at: string; lines: number }[] } | undefined;
  const seal = () => {
    if (!open) return;
    const { first, messages, times } = open;
    chunks.push({ stream: first.stream, level: first.level, firstSeq: first.seq, lineCount: messages.length, times, text: messages.join('\n') });
    open = undefined;
  };
  for (const line of lines) {
    const size = line.message.length + 1;
    if (
      open &&
      (open.first.stream !== line.stream ||
        open.first.level !== line.level ||
        open.first.seq + open.messages.length !== line.seq ||
        open.messages.length >= maxLines ||
        open.chars + size > maxChars)
    ) {
      seal();
    }
    open ??= { first: line, messages: [], chars: 0, times: [] };
    open.messages.push(line.message);
    open.chars += size;
    const last = open.times[open.times.length - 1];
    if (last?.at === line.at) last.lines++;
    else open.times.push({ at: line.at, lines: 1 });
  }
  seal();
  return chunks;
}

/** The `log_chunks` table: each chunk written once, read back as lines (tails) or as a `log` event's lines (upload). */
export class LogChunkTable {
  constructor(private readonly q: StoreDb) {}

  /** Inserts a chunk referenced by the outbox event `eventSeq`; returns its id. Runs inside the caller's transaction. */
  insert(sessionId: string, chunk: LogChunk, eventSeq: number): number {
    const at = chunk.times[0]?.at;
    if (at === undefined || chunk.lineCount < 1) throw new Error('a log chunk holds at least one line');
    return Number(
      this.q
        .sql('INSERT INTO log_chunks (session_id, stream, level, first_seq, last_seq, at, times, text, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(sessionId, chunk.stream, chunk.level, chunk.firstSeq, chunk.firstSeq + chunk.lineCount - 1, at, timesColumn(chunk), chunk.text, eventSeq).lastInsertRowid,
    );
  }

  /** The last `limit` lines of a session, oldest first; reads chunks from the newest back until it has enough. */
  tail(sessionId: string, limit: number): LogLine[] {
    if (limit <= 0) return [];
    const parts: LogLine[][] = [];
    let count = 0;
    const rows = this.q.sql(`SELECT ${CHUNK_COLUMNS} FROM log_chunks WHERE session_id = ? ORDER BY first_seq DESC`).iterate(sessionId) as IterableIterator<ChunkRow>;
    for (const row of rows) {
      const lines = linesOfRow(row);
      parts.push(lines);
      count += lines.length;
      if (count >= limit) break;
    }
    return parts.reverse().flat().slice(-limit);
  }
}
