import { scheduleEntity } from '../../shared/records/index.js';
import type { RecordQuery, Store } from '../store/store.js';
import { fireSchedule, type StartRun } from './schedule-fire.js';
import type { ScheduleRecord } from './scheduled-session.js';

/** The one timer the runner keeps; injectable so a test fires it by hand. */
export interface RunnerTimer {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimer: RunnerTimer = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What the runner reports (winston's logger fits). */
export interface ScheduleLogger {
  info(message: string): unknown;
  warn(message: string): unknown;
  error(message: string): unknown;
}

export interface ScheduleRunnerOptions {
  readonly store: Store;
  readonly now: () => Date;
  readonly startRun: StartRun;
  /** After a session's commit (tell the queue it was enqueued). */
  readonly onStarted?: (sessionId: string, schedule: ScheduleRecord, dueAt: Date) => void;
  readonly logger: ScheduleLogger;
  readonly timer?: RunnerTimer;
  /** A due time handled this much later than it came due counts as missed (the process stalled). Default 60 s. */
  readonly misfireThresholdMs?: number;
  /** The longest the timer sleeps before looking again (bounds the effect of a wall-clock jump). Default 5 min. */
  readonly maxSleepMs?: number;
  /** After a pass failed (the store unavailable), when to try again. Default 5 s. */
  readonly retryMs?: number;
}

const DUE_PAGE = 500;

const dueBy = (now: Date): RecordQuery => ({
  filter: { kind: 'compare', op: 'le', property: 'nextrunon', value: { kind: 'datetime', value: now.toISOString() } },
  orderBy: [{ field: 'nextrunon', descending: false }],
  top: DUE_PAGE,
});

const EARLIEST: RecordQuery = {
  filter: { kind: 'compare', op: 'ne', property: 'nextrunon', value: { kind: 'null' } },
  orderBy: [{ field: 'nextrunon', descending: false }],
  top: 1,
};

/**
 * Starts the sessions of the schedules (shared/records/schedule.ts) as they come due: one session per due time, across
 * restarts and instances (schedule-fire.ts). One timer, armed for the earliest `nextrunon` of all schedules and
 * re-armed after each pass; `wake()` after a schedule write. A timer that fires early or late is harmless: each pass
 * reads the clock and the store again. Due times before the runner started were missed while no orchestrator ran:
 * their schedule's misfire policy decides.
 */
export class ScheduleRunner {
  /** Due times before this were missed while this orchestrator was down. */
  readonly startedAt: Date;
  private handle: unknown;
  private armedAt: Date | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: ScheduleRunnerOptions) {
    this.startedAt = o.now();
  }

  /** The instant the timer is armed for (undefined: no schedule has a next due time). */
  get armedFor(): Date | undefined {
    return this.armedAt;
  }

  start(): Promise<void> {
    return this.wake();
  }

  /**
   * A pass now: runs what is due and re-arms the timer. Calls while one runs share one further pass after it. Resolves
   * when that pass is done; never rejects (a failed pass is logged and retried).
   */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = undefined;
        return this.wake();
      });
      return this.queued;
    }
    const pass = this.pass().finally(() => {
      this.running = undefined;
    });
    this.running = pass;
    return pass;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    await this.running;
  }

  private async pass(): Promise<void> {
    const now = this.o.now();
    try {
      const threshold = this.o.misfireThresholdMs ?? 60_000;
      const missedBefore = new Date(Math.max(this.startedAt.getTime(), now.getTime() - threshold));
      const due = await this.o.store.records.list(scheduleEntity, dueBy(now));
      for (const row of due) await fireSchedule(this.fireOptions(), row as ScheduleRecord, now, missedBefore);
      const [earliest] = await this.o.store.records.list(scheduleEntity, EARLIEST);
      const next = typeof earliest?.['nextrunon'] === 'string' ? new Date(earliest['nextrunon']) : undefined;
      // Still due by this pass's clock although handled (a full page left more; else a race kept it): look again
      // at once for a full page, after the retry delay otherwise, so nothing can spin.
      const stuck = next !== undefined && next.getTime() <= now.getTime() && due.length < DUE_PAGE;
      this.arm(stuck ? new Date(now.getTime() + this.retryMs) : next);
    } catch (err) {
      this.o.logger.error(`schedules: a pass failed, trying again in ${this.retryMs} ms: ${(err as Error).stack ?? String(err)}`);
      this.arm(new Date(now.getTime() + this.retryMs));
    }
  }

  private get retryMs(): number {
    return this.o.retryMs ?? 5000;
  }

  private fireOptions() {
    return {
      store: this.o.store,
      startRun: this.o.startRun,
      onStarted: this.o.onStarted,
      onFailed: (s: ScheduleRecord, dueAt: Date, err: Error) =>
        this.o.logger.warn(`schedule ${s.scheduleid} (${s.name}): the session due at ${dueAt.toISOString()} was not started: ${err.message}`),
    };
  }

  private arm(at: Date | undefined): void {
    this.disarm();
    if (this.stopped || !at) return;
    const delay = Math.min(Math.max(0, at.getTime() - this.o.now().getTime()), this.o.maxSleepMs ?? 300_000);
    this.armedAt = at;
    this.handle = (this.o.timer ?? realTimer).set(() => {
      this.handle = undefined;
      void this.wake();
    }, delay);
  }

  private disarm(): void {
    if (this.handle !== undefined) (this.o.timer ?? realTimer).clear(this.handle);
    this.handle = undefined;
    this.armedAt = undefined;
  }
}
