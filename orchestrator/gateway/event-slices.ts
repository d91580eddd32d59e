import type { SessionEvent } from '../../shared/protocol.js';

/**
 * Rows one slice of events writes at most (an event, plus one flowlog row per log line): a few ms of SQLite, after
 * which the event loop serves others. Each slice commits with its applied seq, so exactly-once holds across slices.
 */
export const SLICE_ROWS = 2000;

const rows = (e: SessionEvent): number => (e.kind === 'log' ? e.lines.length : 1);

/** Removes the first slice (at least one event) from `pending` and returns it. */
export function sliceOfEvents(pending: SessionEvent[]): SessionEvent[] {
  let n = 0;
  let total = 0;
  while (n < pending.length && (n === 0 || total + rows(pending[n]!) <= SLICE_ROWS)) total += rows(pending[n++]!);
  return pending.splice(0, n);
}

/**
 * Where a frame's `local-session` events pass `max` (each creates a session row): the index of the first one over
 * it, and why it is refused; undefined when the frame stays within. The events before it are applied; the agent
 * keeps the rest in its outbox and sends them again after it reconnects, so nothing it committed is lost.
 */
export function tooManyLocalSessions(events: readonly SessionEvent[], max: number): { at: number; reason: string } | undefined {
  let count = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.kind === 'local-session' && ++count > max) {
      return { at: i, reason: `more than ${max} local sessions in one frame; seq ${events[i]!.seq} and later: send them again` };
    }
  }
  return undefined;
}
