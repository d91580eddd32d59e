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

/**
 * The statuses of the sessions machines hold (confirmed, not ended), kept in memory so a scrape reads no rows: set at
 * confirmation (Waiting) and from the agents' `started`/`status` events, forgotten at the end. A session not known
 * here (the orchestrator restarted, a Local run) is read once with `read` (those of one tally together).
 */
export class HeldStatuses {
  private readonly byId = new Map<string, number>();

  constructor(private readonly read: (sessionId: string) => Promise<number | undefined>) {}

  set(sessionId: string, statuscode: number): void {
    this.byId.set(sessionId, statuscode);
  }

  forget(sessionId: string): void {
    this.byId.delete(sessionId);
  }

  /** How many of `held` are in each status; what is no longer held is forgotten (a replayed event may have set it). */
  async tally(held: readonly string[]): Promise<Map<number, number>> {
    const keep = new Set(held);
    for (const id of this.byId.keys()) if (!keep.has(id)) this.byId.delete(id);
    const unknown = held.filter((id) => !this.byId.has(id));
    const read = await Promise.all(unknown.map((id) => this.read(id)));
    unknown.forEach((id, i) => {
      const status = read[i];
      // Not overwritten: an event applied while the rows were read knows better.
      if (status !== undefined && !this.byId.has(id)) this.byId.set(id, status);
    });
    const counts = new Map<number, number>();
    for (const id of held) {
      const status = this.byId.get(id);
      if (status !== undefined) counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    return counts;
  }
}

/** The queue's figures from its parts' memory (see Queue.stats). */
export async function queueStats(
  parts: { readonly lines: Iterable<{ readonly key: string; readonly sessions: readonly SessionView[] }>; readonly groupsWithMachines: Iterable<string>; readonly assignments: Iterable<[string, { readonly state: 'offered' | 'confirmed' }]> },
  held: HeldStatuses,
  nowMs: number,
): Promise<QueueStats> {
  const lines = [...parts.lines].map((line) => lineDepth(line.key, line.sessions, nowMs));
  // Every group with a machine shows, at 0 when nothing waits in it.
  const filed = new Set(lines.map((l) => l.partition));
  for (const group of new Set(parts.groupsWithMachines)) if (!filed.has(group)) lines.push(lineDepth(group, [], nowMs));
  let offered = 0;
  const confirmed: string[] = [];
  for (const [id, a] of parts.assignments) {
    if (a.state === 'offered') offered++;
    else confirmed.push(id);
  }
  return { lines, offered, held: await held.tally(confirmed) };
}
