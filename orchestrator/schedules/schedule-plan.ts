import { MisfirePolicy } from '../../shared/option-sets.js';
import { latestDueBefore, nextDueAfter } from '../../shared/schedule-times.js';
import type { ScheduleRecord } from './scheduled-session.js';

/** What one step of a schedule does at `now`. */
export type ScheduleStep =
  /** Nothing is due (or nothing will be, and `nextrunon` already says so). */
  | { readonly kind: 'Idle' }
  /** Start a session for `dueAt`; `nextrunon` becomes `next`. */
  | { readonly kind: 'Run'; readonly dueAt: Date; readonly next: Date | null }
  /** Missed due times are skipped (policy Skip) or the schedule is disabled: no session; `nextrunon` becomes `next`. */
  | { readonly kind: 'Advance'; readonly next: Date | null };

/**
 * The next step of a schedule whose `nextrunon` is the earliest due time not yet handled. Due times before
 * `missedBefore` were missed (no orchestrator ran them in time): policy Skip starts none of them, RunOnce one, for the
 * latest. Every later due time up to `now` starts its own session, one step each.
 */
export function planStep(schedule: ScheduleRecord, now: Date, missedBefore: Date): ScheduleStep {
  if (schedule.isenabled === false) return schedule.nextrunon === null ? { kind: 'Idle' } : { kind: 'Advance', next: null };
  if (schedule.nextrunon === null) return { kind: 'Idle' };
  const due = new Date(schedule.nextrunon);
  if (due.getTime() > now.getTime()) return { kind: 'Idle' };
  if (due.getTime() >= missedBefore.getTime()) return { kind: 'Run', dueAt: due, next: nextDueAfter(schedule, due) };
  const policy = schedule.misfirepolicy ?? MisfirePolicy.v.Skip;
  switch (policy) {
    case MisfirePolicy.v.RunOnce: {
      const latest = latestDueBefore(schedule, missedBefore);
      const dueAt = latest && latest.getTime() > due.getTime() ? latest : due;
      return { kind: 'Run', dueAt, next: nextDueAfter(schedule, dueAt) };
    }
    case MisfirePolicy.v.Skip:
      return { kind: 'Advance', next: nextDueAfter(schedule, new Date(missedBefore.getTime() - 1)) };
    default: {
      const unknown: never = policy;
      throw new Error(`unknown misfirepolicy ${String(unknown)}`);
    }
  }
}
