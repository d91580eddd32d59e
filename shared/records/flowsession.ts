import { Type, type Static } from '@sinclair/typebox';
import { RunMode, RunSessionMode, SessionState, SessionStatus, TriggerType } from '../option-sets.js';
import { commonFields, DateTime, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

const json = (max = 2_000_000) => Text(max);

export const flowsessionEntity = {
  name: 'flowsession',
  set: 'flowsessions',
  key: 'flowsessionid',
  primaryName: 'name',
  fields: {
    flowsessionid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Text(400), { edm: 'Edm.String', create: true, update: true }),
    _regardingobjectid_value: field(Guid(), { edm: 'Edm.Guid', create: true, required: true, lookup: { nav: 'regardingobjectid', target: 'workflows' } }),
    _machineid_value: field(Guid(), { edm: 'Edm.Guid', create: true, lookup: { nav: 'machineid', target: 'flowmachines' } }),
    _machinegroupid_value: field(Guid(), { edm: 'Edm.Guid', create: true, lookup: { nav: 'machinegroupid', target: 'flowmachinegroups' } }),
    runmode: field(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]), { edm: 'Edm.Int32', optionSet: RunMode, create: true }),
    runsessionmode: field(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]), { edm: 'Edm.Int32', optionSet: RunSessionMode, create: true }),
    triggertype: field(Int({ minimum: 0, maximum: 4 }), { edm: 'Edm.Int32', optionSet: TriggerType, create: true }),
    statecode: field(Int({ minimum: 0, maximum: 1 }), { edm: 'Edm.Int32', optionSet: SessionState, update: true }),
    statuscode: field(Int({ minimum: 0, maximum: 14 }), { edm: 'Edm.Int32', optionSet: SessionStatus, update: true }),
    priority: field(Int({ minimum: -1_000_000, maximum: 1_000_000 }), { edm: 'Edm.Int32', create: true, update: true }),
    scheduledfor: field(DateTime(), { edm: 'Edm.DateTimeOffset', create: true, update: true }),
    startedon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    completedon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    runwaitduration: field(Int({ minimum: 0 }), { edm: 'Edm.Int64' }),
    runexecutionduration: field(Int({ minimum: 0 }), { edm: 'Edm.Int64' }),
    runduration: field(Int({ minimum: 0 }), { edm: 'Edm.Int64' }),
    inputs: field(json(), { edm: 'Edm.String', create: true }),
    /** The inputs in clear while the session is open, when some are secret (`inputs` holds them masked); see orchestrator/queue/secret-inputs.ts. */
    secretinputs: field(json(), { edm: 'Edm.String', hidden: true }),
    outputs: field(json(), { edm: 'Edm.String' }),
    /** The completion callback's body, stored once when the session ended and re-sent byte for byte (orchestrator/queue/session-finish.ts). */
    callbackbody: field(json(2_100_000), { edm: 'Edm.String', hidden: true }),
    context: field(Text(100_000), { edm: 'Edm.String', create: true, update: true }),
    correlationid: field(Text(100), { edm: 'Edm.String', create: true }),
    callbackurl: field(Text(2048), { edm: 'Edm.String', create: true }),
    sessionusername: field(Text(256), { edm: 'Edm.String', create: true }),
    sessionusersid: field(Text(256), { edm: 'Edm.String' }),
    processversion: field(Text(100), { edm: 'Edm.String' }),
    errorcode: field(Text(100), { edm: 'Edm.String' }),
    errormessage: field(Text(10_000), { edm: 'Edm.String' }),
    errordetails: field(Text(100_000), { edm: 'Edm.String' }),
    errorinnererror: field(Text(100_000), { edm: 'Edm.String' }),
    rundetails: field(Text(100_000), { edm: 'Edm.String' }),
    machinepercentcpuusage: field(Type.Number({ minimum: 0, maximum: 100 }), { edm: 'Edm.Double' }),
    machinepercentramusage: field(Type.Number({ minimum: 0, maximum: 100 }), { edm: 'Edm.Double' }),
    machineramusage: field(Type.Number({ minimum: 0 }), { edm: 'Edm.Double' }),
    timeout: field(Int({ minimum: 1, maximum: 86_400 }), { edm: 'Edm.Int32', create: true }),
    queuetimeout: field(Int({ minimum: 1, maximum: 86_400 * 7 }), { edm: 'Edm.Int32', create: true }),
    queuereason: field(Text(100), { edm: 'Edm.String' }),
    connectionid: field(Text(256), { edm: 'Edm.String', create: true }),
    gateway: field(Text(256), { edm: 'Edm.String', create: true }),
    parentworkflowid: field(Guid(), { edm: 'Edm.Guid', create: true }),
    parentcloudflowrunsequenceid: field(Text(256), { edm: 'Edm.String', create: true }),
    /** The schedule whose due time started the session (orchestrator/schedules/); set by the orchestrator only. */
    schedule_id: field(Guid(), { edm: 'Edm.Guid', lookup: { nav: 'schedule', target: 'schedules' } }),
    /** The session's retry policy as it applies to every attempt of its chain (shared/retry-policy.ts; JSON); set by the orchestrator only. */
    retrypolicy: field(Text(4000), { edm: 'Edm.String' }),
    /** Which attempt of its chain the session is (1 the first); set by the orchestrator only. */
    attempt: field(Int({ minimum: 1, maximum: 100 }), { edm: 'Edm.Int32' }),
    /** The first attempt's session of a retried chain (on every later attempt); set by the orchestrator only. */
    firstattemptid: field(Guid(), { edm: 'Edm.Guid' }),
    /** The session whose flow started this one with its session token (orchestrator/api/child-sessions.ts); set by the orchestrator only. */
    _parentsessionid_value: field(Guid(), { edm: 'Edm.Guid', lookup: { nav: 'parentsessionid', target: 'flowsessions' } }),
    /** A child that outlives its parent: not cancelled when the parent is cancelled or ends. */
    orphan: field(Type.Boolean(), { edm: 'Edm.Boolean' }),
    /** `sha256$…` of the session's token while the session is open (null once it ended: the token is revoked). */
    sessiontokenhash: field(Text(200), { edm: 'Edm.String', hidden: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const FlowSession = recordSchema(flowsessionEntity);
export type FlowSession = Static<typeof FlowSession>;
export const FlowSessionCreate = writeSchema(flowsessionEntity, 'create');
export const FlowSessionUpdate = writeSchema(flowsessionEntity, 'update');

/** Defaults of the brief: run timeout 3 h, queue timeout 6 h. */
export const DEFAULT_RUN_TIMEOUT_S = 10_800;
export const MAX_RUN_TIMEOUT_S = 86_400;
export const DEFAULT_QUEUE_TIMEOUT_S = 21_600;
