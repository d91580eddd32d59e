import { type Static } from '@sinclair/typebox';
import { MachineGroupState, MachineGroupStatus, QueuingType } from '../option-sets.js';
import { commonFields, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';
import { Type } from '@sinclair/typebox';

export const flowmachinegroupEntity = {
  name: 'flowmachinegroup',
  set: 'flowmachinegroups',
  key: 'flowmachinegroupid',
  primaryName: 'name',
  fields: {
    flowmachinegroupid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\s/\\\\][^/\\\\]*$' }), { edm: 'Edm.String', create: true, required: true, update: true }),
    description: field(Text(2000), { edm: 'Edm.String', create: true, update: true }),
    preferredqueuingtype: field(Int({ minimum: 0, maximum: 1 }), { edm: 'Edm.Int32', optionSet: QueuingType, create: true, update: true }),
    statecode: field(Int({ minimum: 0, maximum: 2 }), { edm: 'Edm.Int32', optionSet: MachineGroupState, update: true }),
    statuscode: field(Int({ minimum: 0, maximum: 10 }), { edm: 'Edm.Int32', optionSet: MachineGroupStatus }),
    /** The machines' registration secret: write-only, stored hashed in `passwordhash`. */
    password: field(Type.String({ minLength: 8, maxLength: 256 }), { edm: 'Edm.String', create: true, required: true, update: true, hidden: true }),
    passwordhash: field(Text(512), { edm: 'Edm.String', hidden: true }),
    /**
     * Root of the completion callback keys (shared/callback-signature.ts): each machine signs with a key derived from
     * it, so receivers verify with it alone. Readable by the admin; changed only by RotateCallbackSecret.
     */
    callbacksecret: field(Text(256), { edm: 'Edm.String' }),
    ...commonFields,
  },
} satisfies EntityDef;

export const FlowMachineGroup = recordSchema(flowmachinegroupEntity);
export type FlowMachineGroup = Static<typeof FlowMachineGroup>;
export const FlowMachineGroupCreate = writeSchema(flowmachinegroupEntity, 'create');
export const FlowMachineGroupUpdate = writeSchema(flowmachinegroupEntity, 'update');
