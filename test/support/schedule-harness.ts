import { SessionState, SessionStatus } from '../../shared/option-sets.js';
import { flowsessionEntity, scheduleEntity, type Schedule } from '../../shared/records/index.js';
import { scheduleCreateValues } from '../../shared/schedule-times.js';
import type { StartRun } from '../../orchestrator/schedules/schedule-fire.js';
import type { RunnerTimer } from '../../orchestrator/schedules/schedule-runner.js';
import { scheduledSessionValues, type ScheduleRecord } from '../../orchestrator/schedules/scheduled-session.js';
import type { SessionRecord, Store } from '../../orchestrator/store/store.js';

/** A clock that stands until moved: `now` for the runner, `set`/`advance` for the test. */
export class ManualClock {
  constructor(private t: number) {}
  readonly now = (): Date => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The runner's one timer, fired by the test: what it is armed for (`delayMs`) and how often it was armed. */
export class ManualTimer implements RunnerTimer {
  private run: (() => void) | undefined;
  delayMs: number | undefined;
  armings = 0;
  set(run: () => void, ms: number): unknown {
    this.run = run;
    this.delayMs = ms;
    this.armings += 1;
    return run;
  }
  clear(handle: unknown): void {
    if (handle === this.run) this.run = undefined;
    this.delayMs = undefined;
  }
  get armed(): boolean {
    return this.run !== undefined;
  }
  /** Runs the armed callback as the timer would (the runner's pass then runs; await `runner.wake()` to see it end). */
  fire(): void {
    const run = this.run;
    if (!run) throw new Error('no timer is armed');
    this.run = undefined;
    run();
  }
}

/** The tests' startRun: the session the queue would create, inserted Waiting with the derived key (no queue yet). */
export const insertWaitingSession: StartRun = async (tx, schedule, dueAt, sessionId) => {
  await tx.sessions.insert({ ...scheduledSessionValues(schedule, dueAt, sessionId), statuscode: SessionStatus.v.Waiting, statecode: SessionState.v.Active });
};

/** A workflow to schedule (its flow is never run here). */
export async function seedWorkflow(store: Store): Promise<string> {
  const wf = await store.workflows.insert({ name: 'scheduled', clientdata: JSON.stringify({ kind: 'command', command: 'true' }) });
  return wf.workflowid;
}

/** A schedule written as the Web API writes one at `now` (defaults, `nextrunon`). */
export async function seedSchedule(store: Store, now: Date, values: Partial<Schedule> & Pick<Schedule, '_workflowid_value' | 'cronexpression'>): Promise<ScheduleRecord> {
  return (await store.records.insert(scheduleEntity, scheduleCreateValues({ name: 'every so often', ...values }, now))) as ScheduleRecord;
}

export async function scheduleOf(store: Store, id: string): Promise<ScheduleRecord> {
  const row = await store.records.get(scheduleEntity, id);
  if (!row) throw new Error(`schedule ${id} is gone`);
  return row as ScheduleRecord;
}

/** The sessions a schedule started, by due time (`scheduledfor`). */
export async function sessionsOf(store: Store, scheduleId: string): Promise<SessionRecord[]> {
  const rows = await store.records.list(flowsessionEntity, {
    filter: { kind: 'compare', op: 'eq', property: 'schedule_id', value: { kind: 'guid', value: scheduleId } },
    orderBy: [{ field: 'scheduledfor', descending: false }],
  });
  return rows as SessionRecord[];
}

/** The due times of a schedule's sessions, as ISO texts in order. */
export async function dueTimesOf(store: Store, scheduleId: string): Promise<string[]> {
  return (await sessionsOf(store, scheduleId)).map((s) => s.scheduledfor ?? '?');
}
