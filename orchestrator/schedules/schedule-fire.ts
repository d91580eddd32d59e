import { scheduleEntity, type Schedule } from '../../shared/records/index.js';
import { StoreError, type Repositories, type Store, type Values } from '../store/store.js';
import { planStep, type ScheduleStep } from './schedule-plan.js';
import { scheduledSessionId, type ScheduleRecord } from './scheduled-session.js';

/**
 * Creates the session of a due time inside the step's transaction, with exactly `sessionId` as its key (a second
 * insert of it throws StoreError 'Conflict'). Wired to the queue's enqueue.
 */
export type StartRun = (tx: Repositories, schedule: ScheduleRecord, dueAt: Date, sessionId: string) => Promise<void>;

export interface FireOptions {
  readonly store: Store;
  readonly startRun: StartRun;
  /** After the step's commit: the session exists (tell the queue). */
  readonly onStarted?: (sessionId: string, schedule: ScheduleRecord, dueAt: Date) => void;
  /** A due time whose session could not be created (logged; the schedule records it and moves on). */
  readonly onFailed?: (schedule: ScheduleRecord, dueAt: Date, err: Error) => void;
}

/** Steps one schedule may take in one call: more only if the clock raced ahead of the store by that many due times. */
const MAX_STEPS = 1000;
const ERROR_MAX = 2000;

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
const asSchedule = (row: unknown): ScheduleRecord => row as ScheduleRecord;
const lostRace = (err: unknown): boolean => err instanceof StoreError && (err.code === 'Conflict' || err.code === 'PreconditionFailed');
/** The schedule was deleted meanwhile. */
const gone = (err: unknown): boolean => err instanceof StoreError && err.code === 'NotFound';

/**
 * Handles every due time of `schedule` up to `now`, one transaction each: the session (by its derived id) and the
 * schedule's `lastrunon`/`nextrunon`, written only if the schedule's version is still the one read. Another instance
 * that got there first shows as a key conflict or a version mismatch: the step is dropped and the schedule read again.
 * A session that could not be created (its workflow gone, inputs refused) is recorded in `errormessage` and its due
 * time passed over, so a broken schedule does not retry in a loop. Returns the schedule as it is afterwards
 * (undefined when it was deleted).
 */
export async function fireSchedule(o: FireOptions, read: ScheduleRecord, now: Date, missedBefore: Date): Promise<ScheduleRecord | undefined> {
  const id = read.scheduleid;
  /** A transaction on the schedule; a lost race answers the schedule as it is now. */
  const commit = async (fn: (tx: Repositories) => Promise<ScheduleRecord>): Promise<ScheduleRecord | undefined> => {
    try {
      return await o.store.transaction(fn);
    } catch (err) {
      if (lostRace(err) || gone(err)) return reread(o.store, id);
      throw err;
    }
  };
  let schedule: ScheduleRecord | undefined = read;
  for (let i = 0; schedule && i < MAX_STEPS; i++) {
    const current: ScheduleRecord = schedule;
    const advance = (changes: Values<Schedule>) => (tx: Repositories) => tx.records.update(scheduleEntity, id, changes, current.versionnumber).then(asSchedule);
    let step: ScheduleStep;
    try {
      step = planStep(current, now, missedBefore);
    } catch (err) {
      // Timing fields the API would have refused (written around it): no due time can be computed.
      schedule = await commit(advance({ nextrunon: null, errormessage: `no due time can be computed: ${String((err as Error).message ?? err)}`.slice(0, ERROR_MAX) }));
      continue;
    }
    if (step.kind === 'Idle') return schedule;
    if (step.kind === 'Advance') {
      schedule = await commit(advance({ nextrunon: iso(step.next) }));
      continue;
    }
    const ran = { lastrunon: iso(step.dueAt), nextrunon: iso(step.next), errormessage: null };
    const sessionId = scheduledSessionId(id, step.dueAt);
    try {
      schedule = await o.store.transaction(async (tx) => {
        await o.startRun(tx, current, step.dueAt, sessionId);
        return advance(ran)(tx);
      });
      o.onStarted?.(sessionId, current, step.dueAt);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      const fresh = await reread(o.store, id);
      if (!fresh) return undefined;
      if (lostRace(err) && fresh.versionnumber === current.versionnumber) {
        // The session of this due time exists while the schedule still points at it (a record restored from before):
        // it ran; pass over it.
        schedule = await commit(advance(ran));
      } else if (fresh.versionnumber !== current.versionnumber) {
        // Another instance (or a write) moved the schedule on: go on from where it is.
        schedule = fresh;
      } else {
        o.onFailed?.(current, step.dueAt, err);
        const message = `the session due at ${step.dueAt.toISOString()} was not started: ${err.message}`.slice(0, ERROR_MAX);
        schedule = await commit(advance({ nextrunon: iso(step.next), errormessage: message }));
      }
    }
  }
  return schedule;
}

/** The schedule as stored now (undefined when it is gone). */
async function reread(store: Store, id: string): Promise<ScheduleRecord | undefined> {
  const row = await store.records.get(scheduleEntity, id);
  return row ? asSchedule(row) : undefined;
}
