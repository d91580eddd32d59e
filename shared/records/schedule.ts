import { Type, type Static } from '@sinclair/typebox';
import { MisfirePolicy, RunMode } from '../option-sets.js';
import { commonFields, DateTime, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

/**
 * A schedule: a cron expression in a time zone that starts a session of its workflow at each due time
 * (orchestrator/schedules/, docs/schedules.md). `nextrunon` and `lastrunon` are computed, never written by a client;
 * the rules beyond the schema (cron syntax, time zone, window) are `scheduleProblems` in shared/schedule-times.ts.
 */
export const scheduleEntity = {
  name: 'schedule',
  set: 'schedules',
  key: 'scheduleid',
  primaryName: 'name',
  fields: {
    scheduleid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Type.String({ minLength: 1, maxLength: 400 }), { edm: 'Edm.String', create: true, required: true, update: true }),
    _workflowid_value: field(Guid(), { edm: 'Edm.Guid', create: true, required: true, update: true, lookup: { nav: 'workflowid', target: 'workflows' } }),
    /** The sessions' inputs, a JSON object as text (like a flowsession's `inputs`). */
    inputs: field(Text(2_000_000), { edm: 'Edm.String', create: true, update: true }),
    _machinegroupid_value: field(Guid(), { edm: 'Edm.Guid', create: true, update: true, lookup: { nav: 'machinegroupid', target: 'flowmachinegroups' } }),
    _machineid_value: field(Guid(), { edm: 'Edm.Guid', create: true, update: true, lookup: { nav: 'machineid', target: 'flowmachines' } }),
    runmode: field(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]), { edm: 'Edm.Int32', optionSet: RunMode, create: true, update: true }),
    priority: field(Int({ minimum: -1_000_000, maximum: 1_000_000 }), { edm: 'Edm.Int32', create: true, update: true }),
    /** Five fields (minute hour day-of-month month day-of-week) or six (seconds first); nicknames such as `@daily`. */
    cronexpression: field(Type.String({ minLength: 1, maxLength: 200 }), { edm: 'Edm.String', create: true, required: true, update: true }),
    /** IANA time zone the expression is read in; null is UTC. */
    timezone: field(Type.String({ minLength: 1, maxLength: 100 }), { edm: 'Edm.String', create: true, update: true }),
    /** First instant a due time may fall on (inclusive). */
    starton: field(DateTime(), { edm: 'Edm.DateTimeOffset', create: true, update: true }),
    /** Instant the schedule ends (exclusive: a due time exactly at `endon` does not run). */
    endon: field(DateTime(), { edm: 'Edm.DateTimeOffset', create: true, update: true }),
    /** null counts as enabled. */
    isenabled: field(Type.Boolean(), { edm: 'Edm.Boolean', create: true, update: true }),
    misfirepolicy: field(Type.Union([Type.Literal(0), Type.Literal(1)]), { edm: 'Edm.Int32', optionSet: MisfirePolicy, create: true, update: true }),
    /** The next due time not yet handled; null when none will come (disabled, past `endon`). */
    nextrunon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    /** The due time of the latest session this schedule started. */
    lastrunon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    /** Why the latest due time started no session; null once one starts again. */
    errormessage: field(Text(2000), { edm: 'Edm.String' }),
    ...commonFields,
  },
} satisfies EntityDef;

export const Schedule = recordSchema(scheduleEntity);
export type Schedule = Static<typeof Schedule>;
export const ScheduleCreate = writeSchema(scheduleEntity, 'create');
export const ScheduleUpdate = writeSchema(scheduleEntity, 'update');
