import { ScheduleCreate, ScheduleUpdate, scheduleEntity, type Schedule } from '../../../shared/records/index.js';
import { SCHEDULE_DEFAULTS, scheduleCreateValues, scheduleProblems, scheduleUpdateValues, type ScheduleValues } from '../../../shared/schedule-times.js';
import type { ScheduleRecord } from '../../schedules/scheduled-session.js';
import { badRequest } from '../api-error.js';
import type { EntityPolicy, Row, WriteDeps } from './entity-policy.js';

function check(deps: WriteDeps, values: Row, what: string): void {
  const timing = { cronexpression: null, ...SCHEDULE_DEFAULTS, ...(values as Partial<Schedule>) } as Parameters<typeof scheduleProblems>[0];
  const problems = scheduleProblems(timing, deps.now());
  if (problems.length > 0) throw badRequest(`${what}: ${problems.join('; ')}`);
}

const wake = (deps: WriteDeps): Promise<void> => deps.schedules.wake();

/** Schedules (docs/schedules.md): the timing checked as a whole, `nextrunon` computed, the runner told of each write. */
export const schedulePolicy: EntityPolicy<ScheduleRecord> = {
  entity: scheduleEntity,
  createSchema: ScheduleCreate,
  updateSchema: ScheduleUpdate,
  deletable: true,
  prepareCreate(deps, values, what) {
    check(deps, values, what);
    return scheduleCreateValues(values as ScheduleValues, deps.now()) as Row;
  },
  prepareUpdate(deps, current, patch, what) {
    check(deps, { ...current, ...patch }, what);
    return scheduleUpdateValues(current, patch as ScheduleValues, deps.now()) as Row;
  },
  afterCreate: wake,
  afterUpdate: wake,
  afterDelete: wake,
};
