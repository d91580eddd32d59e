import type { SessionView } from './dispatch-plan.js';

/** One partition's line (a machine group, `#<machine id>` or `#`, see partitions.ts) as a scrape sees it. */
export interface LineDepth {
  readonly partition: string;
  /** Sessions that wait for a machine now (their scheduled time, if any, has come). */
  readonly waiting: number;
  /** Sessions filed in the line whose scheduled time is still ahead. */
  readonly scheduled: number;
  /** When the longest-waiting of `waiting` became eligible (ms since epoch; created, or its scheduled time); none when empty. */
  readonly oldestEligibleMs: number | undefined;
}

/** What the queue holds right now, read from its memory (see Queue.stats). */
export interface QueueStats {
  readonly lines: readonly LineDepth[];
  /** Sessions offered to a machine that has not answered yet. */
  readonly offered: number;
  /** Sessions a machine confirmed that have not ended, counted by their stored statuscode. */
  readonly held: ReadonlyMap<number, number>;
}

/**
 * Depth and oldest wait of one line, in one walk over its sessions: createdon is one ISO format, so the oldest plain
 * session is found by comparing text; only sessions with a scheduled time are parsed.
 */
export function lineDepth(partition: string, sessions: readonly SessionView[], nowMs: number): LineDepth {
  let waiting = 0;
  let scheduled = 0;
  let oldestCreated: string | undefined;
  let oldestScheduled = Infinity;
  for (const s of sessions) {
    if (s.scheduledfor === null || s.scheduledfor === undefined) {
      waiting++;
      if (oldestCreated === undefined || s.createdon < oldestCreated) oldestCreated = s.createdon;
      continue;
    }
    const due = Math.max(Date.parse(s.scheduledfor), Date.parse(s.createdon));
    if (!(due <= nowMs)) {
      scheduled++;
      continue;
    }
    waiting++;
    oldestScheduled = Math.min(oldestScheduled, due);
  }
  const created = oldestCreated === undefined ? Infinity : Date.parse(oldestCreated);
  const oldest = Math.min(created, oldestScheduled);
  return { partition, waiting, scheduled, oldestEligibleMs: Number.isFinite(oldest) ? oldest : undefined };
}
