import { type Static } from '@sinclair/typebox';
import { BackgroundOperationState, BackgroundOperationStatus } from '../option-sets.js';
import { commonFields, DateTime, field, Guid, Int, Text, recordSchema, type EntityDef } from './entity.js';

export const backgroundoperationEntity = {
  name: 'backgroundoperation',
  set: 'backgroundoperations',
  key: 'backgroundoperationid',
  primaryName: 'name',
  fields: {
    backgroundoperationid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Text(400), { edm: 'Edm.String' }),
    statecode: field(Int(), { edm: 'Edm.Int32', optionSet: BackgroundOperationState }),
    statuscode: field(Int(), { edm: 'Edm.Int32', optionSet: BackgroundOperationStatus }),
    inputparameters: field(Text(20_000_000), { edm: 'Edm.String' }),
    outputparameters: field(Text(20_000_000), { edm: 'Edm.String' }),
    errorcode: field(Int(), { edm: 'Edm.Int32' }),
    errormessage: field(Text(10_000), { edm: 'Edm.String' }),
    retrycount: field(Int({ minimum: 0 }), { edm: 'Edm.Int32' }),
    priority: field(Int(), { edm: 'Edm.Int32' }),
    runas: field(Text(256), { edm: 'Edm.String' }),
    starttime: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    endtime: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
    ttlinseconds: field(Int({ minimum: 0 }), { edm: 'Edm.Int32' }),
    ...commonFields,
  },
} satisfies EntityDef;

export const BackgroundOperation = recordSchema(backgroundoperationEntity);
export type BackgroundOperation = Static<typeof BackgroundOperation>;
