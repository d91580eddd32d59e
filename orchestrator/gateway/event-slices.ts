import type { WireEvent } from '../../shared/protocol.js';

/**
 * How long one slice of events may hold the event loop: 1 ms while anything else waits (the API, other machines),
 * growing to 8 ms while nothing else runs between slices (a replay alone goes at full speed).
 */
export const SLICE_MS = { min: 1, max: 8 };
/** A gap between two slices longer than this means the loop served something else in it. */
const BUSY_GAP_MS = 0.3;

/** The rows an event writes: a flowlog row per log line (a chunk's runs count its lines), else one. */
function rows(e: WireEvent): number {
  if (e.kind === 'log') return e.lines.length;
  if (e.kind !== 'log-chunk') return 1;
  let lines = 0;
  for (const [, n] of e.times) lines += n;
  return lines;
}

/**
 * Cuts pending events into slices of about `targetMs` of work each, learning the rows (an event, plus one flowlog
 * row per log line) one ms holds from the slices before. Each slice commits with its applied seq, so exactly-once
 * holds across slices.
 */
export class EventSlicer {
  private rowsPerMs = 250;
  private targetMs = SLICE_MS.min;
  private lastEnd = -Infinity;

  /** Removes the next slice (at least one event) from `pending` and returns it; `now` is performance.now(). */
  next(pending: WireEvent[], now: number): WireEvent[] {
    this.targetMs = now - this.lastEnd > BUSY_GAP_MS ? SLICE_MS.min : Math.min(SLICE_MS.max, this.targetMs * 1.5);
    const limit = Math.max(10, Math.round(this.rowsPerMs * this.targetMs));
    let n = 0;
    let total = 0;
    while (n < pending.length && (n === 0 || total + rows(pending[n]!) <= limit)) total += rows(pending[n++]!);
    return pending.splice(0, n);
  }

  /** The slice of `events` started at `start` ended at `end` (performance.now()). */
  took(events: readonly WireEvent[], start: number, end: number): void {
    this.lastEnd = end;
    const total = events.reduce((sum, e) => sum + rows(e), 0);
    if (total < 10) return;
    const measured = total / Math.max(end - start, 0.05);
    this.rowsPerMs = Math.min(5000, Math.max(5, (this.rowsPerMs + measured) / 2));
  }
}

/**
 * Where a frame's `local-session` events pass `max` (each creates a session row): the index of the first one over
 * it, and why it is refused; undefined when the frame stays within. The events before it are applied; the agent
 * keeps the rest in its outbox and sends them again after it reconnects, so nothing it committed is lost.
 */
export function tooManyLocalSessions(events: readonly WireEvent[], max: number): { at: number; reason: string } | undefined {
  let count = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.kind === 'local-session' && ++count > max) {
      return { at: i, reason: `more than ${max} local sessions in one frame; seq ${events[i]!.seq} and later: send them again` };
    }
  }
  return undefined;
}
