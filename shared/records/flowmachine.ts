import { Type, type Static } from '@sinclair/typebox';
import { MachineState, MachineStatus } from '../option-sets.js';
import { commonFields, DateTime, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

export const flowmachineEntity = {
  name: 'flowmachine',
  set: 'flowmachines',
  key: 'flowmachineid',
  primaryName: 'name',
  fields: {
    flowmachineid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Text(256), { edm: 'Edm.String', update: true }),
    agentversion: field(Text(64), { edm: 'Edm.String' }),
    _flowmachinegroupid_value: field(Guid(), { edm: 'Edm.Guid', lookup: { nav: 'flowmachinegroupid', target: 'flowmachinegroups' } }),
    lastheartbeatdate: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    sessioncapacity: field(Int({ minimum: 1, maximum: 256 }), { edm: 'Edm.Int32', update: true }),
    overcapacitysince: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    os: field(Text(256), { edm: 'Edm.String' }),
    statecode: field(Int({ minimum: 0, maximum: 2 }), { edm: 'Edm.Int32', optionSet: MachineState, update: true }),
    statuscode: field(Int({ minimum: 1, maximum: 5 }), { edm: 'Edm.Int32', optionSet: MachineStatus, update: true }),
    /** Live state reported by the agent (our additions to the Dataverse shape). */
    connected: field(Type.Boolean(), { edm: 'Edm.Boolean' }),
    freeslots: field(Int({ minimum: 0 }), { edm: 'Edm.Int32' }),
    paused: field(Type.Boolean(), { edm: 'Edm.Boolean' }),
    pauseduntil: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    draining: field(Type.Boolean(), { edm: 'Edm.Boolean' }),
    attendedavailable: field(Type.Boolean(), { edm: 'Edm.Boolean' }),
    signedinuser: field(Text(256), { edm: 'Edm.String' }),
    /** JSON array of the session user names this machine can run unattended sessions as. */
    sessionusers: field(Text(10_000), { edm: 'Edm.String' }),
    credentialhash: field(Text(256), { edm: 'Edm.String', hidden: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const FlowMachine = recordSchema(flowmachineEntity);
export type FlowMachine = Static<typeof FlowMachine>;
export const FlowMachineUpdate = writeSchema(flowmachineEntity, 'update');
