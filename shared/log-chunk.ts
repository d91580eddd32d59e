import type { LogChunkEvent, LogEvent, LogLine, SessionEvent, WireEvent } from './protocol.js';
import { LogLine as LogLineSchema, MAX_LINES_PER_LOG_EVENT } from './protocol.js';
import type { Static } from '@sinclair/typebox';

const MAX_LINE_CHARS = LogLineSchema.properties.message.maxLength ?? 100_000;

/**
 * Why a `log-chunk` event that passed its schema is still unusable, or undefined: its time runs must add up to the
 * lines of its text, which are at most MAX_LINES_PER_LOG_EVENT, none longer than a `log` line may be.
 */
export function logChunkProblem(e: LogChunkEvent): string | undefined {
  let runs = 0;
  for (const [, n] of e.times) runs += n;
  let lines = 0;
  let start = 0;
  for (;;) {
    const end = e.text.indexOf('\n', start);
    const stop = end === -1 ? e.text.length : end;
    if (stop - start > MAX_LINE_CHARS) return `log-chunk seq ${e.seq}: line ${e.firstLine + lines} is longer than ${MAX_LINE_CHARS} characters`;
    if (++lines > MAX_LINES_PER_LOG_EVENT) return `log-chunk seq ${e.seq}: more than ${MAX_LINES_PER_LOG_EVENT} lines`;
    if (end === -1) break;
    start = end + 1;
  }
  if (runs !== lines) return `log-chunk seq ${e.seq}: its times count ${runs} lines, its text holds ${lines}`;
  return undefined;
}

/** The first unusable `log-chunk` among `events` and why, or undefined. */
export function wireEventsProblem(events: readonly WireEvent[]): string | undefined {
  for (const e of events) {
    if (e.kind !== 'log-chunk') continue;
    const problem = logChunkProblem(e);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The lines of a chunk (checked by logChunkProblem): numbered from `firstLine`, each with the time of its run. */
export function linesOfLogChunk(e: LogChunkEvent): LogLine[] {
  const messages = e.text.split('\n');
  const lines: LogLine[] = [];
  let i = 0;
  for (const [at, n] of e.times) {
    for (const end = Math.min(i + n, messages.length); i < end; i++) lines.push({ seq: e.firstLine + i, level: e.level, stream: e.stream, at, message: messages[i]! });
  }
  return lines;
}

/** An event as protocol 1 has it: a chunk becomes the `log` event of its lines. */
export function asSessionEvent(e: WireEvent): SessionEvent {
  if (e.kind !== 'log-chunk') return e;
  const log: Static<typeof LogEvent> = { seq: e.seq, sessionId: e.sessionId, at: e.at, kind: 'log', lines: linesOfLogChunk(e) };
  return log;
}
