import { Type, type Static } from '@sinclair/typebox';
import { commonFields, field, Guid, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

/**
 * Dataverse's connectionreference: a solution-aware name (`connectionreferencelogicalname`) for a connection
 * (`connectionid`, here the key of a desktopflowconnection). RunDesktopFlow's `connectionName` with connectionType 2
 * is such a logical name.
 */
export const connectionreferenceEntity = {
  name: 'connectionreference',
  set: 'connectionreferences',
  key: 'connectionreferenceid',
  primaryName: 'connectionreferencedisplayname',
  fields: {
    connectionreferenceid: field(Guid(), { edm: 'Edm.Guid' }),
    connectionreferencelogicalname: field(Type.String({ minLength: 1, maxLength: 128 }), {
      edm: 'Edm.String',
      create: true,
      required: true,
      unique: true,
    }),
    connectionreferencedisplayname: field(Text(400), { edm: 'Edm.String', create: true, update: true }),
    description: field(Text(2000), { edm: 'Edm.String', create: true, update: true }),
    connectionid: field(Type.String({ minLength: 1, maxLength: 100 }), { edm: 'Edm.String', create: true, update: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const ConnectionReference = recordSchema(connectionreferenceEntity);
export type ConnectionReference = Static<typeof ConnectionReference>;
export const ConnectionReferenceCreate = writeSchema(connectionreferenceEntity, 'create');
export const ConnectionReferenceUpdate = writeSchema(connectionreferenceEntity, 'update');
