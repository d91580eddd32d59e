import { Type, type Static } from '@sinclair/typebox';
import { BackgroundOperationState, BackgroundOperationStatus } from '../option-sets.js';
import { commonFields, DateTime, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

export const backgroundoperationEntity = {
  name: 'backgroundoperation',
  set: 'backgroundoperations',
  key: 'backgroundoperationid',
  primaryName: 'name',
  fields: {
    backgroundoperationid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Type.String({ minLength: 1, maxLength: 400 }), { edm: 'Edm.String', create: true, required: true }),
    displayname: field(Text(400), { edm: 'Edm.String', create: true, update: true }),
    backgroundoperationstatecode: field(Int(), { edm: 'Edm.Int32', optionSet: BackgroundOperationState }),
    /** Set by a PATCH only to 22 Canceling, which cancels an operation that has not started (operation-policy.ts). */
    backgroundoperationstatuscode: field(Int(), { edm: 'Edm.Int32', optionSet: BackgroundOperationStatus, update: true }),
    inputparameters: field(Text(20_000_000), { edm: 'Edm.String', create: true }),
    outputparameters: field(Text(20_000_000), { edm: 'Edm.String' }),
    errorcode: field(Int(), { edm: 'Edm.Int32' }),
    errormessage: field(Text(10_000), { edm: 'Edm.String' }),
    retrycount: field(Int({ minimum: 0 }), { edm: 'Edm.Int32' }),
    priority: field(Int(), { edm: 'Edm.Int32', create: true }),
    runas: field(Text(256), { edm: 'Edm.String' }),
    partitionid: field(Text(256), { edm: 'Edm.String', create: true, update: true }),
    starttime: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    endtime: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    ttlinseconds: field(Int({ minimum: 0 }), { edm: 'Edm.Int32', create: true, update: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const BackgroundOperation = recordSchema(backgroundoperationEntity);
export type BackgroundOperation = Static<typeof BackgroundOperation>;
export const BackgroundOperationCreate = writeSchema(backgroundoperationEntity, 'create');
export const BackgroundOperationUpdate = writeSchema(backgroundoperationEntity, 'update');
