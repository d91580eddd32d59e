import { v5 as uuidv5 } from 'uuid';
import { SCHEDULE_DEFAULTS } from '../../shared/schedule-times.js';
import type { FlowSession, Schedule } from '../../shared/records/index.js';
import type { Stored, Values } from '../store/store.js';

/** A schedule as the store returns it. */
export type ScheduleRecord = Stored<Schedule, 'scheduleid'>;

/** flowhost's UUID v5 namespace for session ids derived from a schedule's due time. Never change it: stored ids depend on it. */
export const SCHEDULED_SESSION_NAMESPACE = '3e41c399-32b7-4dcb-8496-309f4f784986';

/**
 * The id of the session a schedule starts for a due time: a UUID v5 of (schedule id, due time), so every instance and
 * every restart that computes the same due time names the same session, and the second insert is a key conflict.
 */
export function scheduledSessionId(scheduleId: string, dueAt: Date): string {
  return uuidv5(`${scheduleId.toLowerCase()}@${dueAt.toISOString()}`, SCHEDULED_SESSION_NAMESPACE);
}

/**
 * The flowsession a due time creates, before the queue's own rules (defaults, inputs checked against the workflow):
 * the schedule's workflow, target, run mode, priority and inputs, `schedule_id`, and the due time as `scheduledfor`.
 */
export function scheduledSessionValues(schedule: ScheduleRecord, dueAt: Date, sessionId: string): Values<FlowSession> & { flowsessionid: string } {
  return {
    flowsessionid: sessionId,
    name: schedule.name,
    _regardingobjectid_value: schedule._workflowid_value,
    _machinegroupid_value: schedule._machinegroupid_value,
    _machineid_value: schedule._machineid_value,
    runmode: schedule.runmode ?? SCHEDULE_DEFAULTS.runmode,
    priority: schedule.priority ?? SCHEDULE_DEFAULTS.priority,
    inputs: schedule.inputs ?? '{}',
    scheduledfor: dueAt.toISOString(),
    schedule_id: schedule.scheduleid,
  };
}
