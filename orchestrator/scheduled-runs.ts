import type { Logger } from 'winston';
import { flowsessionEntity } from '../shared/records/index.js';
import type { WriteDeps } from './api/policies/index.js';
import { prepareSession } from './api/policies/session-policy.js';
import { ScheduleRunner } from './schedules/schedule-runner.js';
import { scheduledSessionValues } from './schedules/scheduled-session.js';
import type { Store } from './store/store.js';

/**
 * The schedule runner wired to the queue: a due time's session is made as the Web API makes one (the workflow and
 * target checked, inputs split, defaults), with its deterministic key, and the queue is told once it committed.
 */
export function scheduledRuns(store: Store, parts: Omit<WriteDeps, 'store' | 'schedules'>, logger: Logger): ScheduleRunner {
  const runner: ScheduleRunner = new ScheduleRunner({
    store,
    now: parts.now,
    logger,
    startRun: async (tx, schedule, dueAt, sessionId) => {
      const deps = { ...parts, store: tx, schedules: runner };
      await tx.records.insert(flowsessionEntity, await prepareSession(deps, scheduledSessionValues(schedule, dueAt, sessionId), `schedule ${schedule.scheduleid}`));
    },
    onStarted: (sessionId) => void parts.queue.enqueued(sessionId).catch((err: unknown) => logger.error(`queueing scheduled session ${sessionId} failed: ${(err as Error).message}`)),
  });
  return runner;
}
