import { Type, type Static } from '@sinclair/typebox';
import { commonFields, field, Guid, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

/**
 * flowhost's extension: a desktop-flow connection as Power Automate has one ("machine or machine group + the account
 * to sign in with"); in Power Automate it lives outside Dataverse. RunDesktopFlow's `connectionName` (connectionType 1)
 * names one, and a connectionreference's `connectionid` points at one.
 */
export const desktopflowconnectionEntity = {
  name: 'desktopflowconnection',
  set: 'desktopflowconnections',
  key: 'connectionid',
  primaryName: 'name',
  fields: {
    connectionid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Type.String({ minLength: 1, maxLength: 400 }), { edm: 'Edm.String', create: true, required: true, update: true, unique: true }),
    _machinegroupid_value: field(Guid(), { edm: 'Edm.Guid', create: true, update: true, lookup: { nav: 'MachineGroupId', target: 'flowmachinegroups' } }),
    _machineid_value: field(Guid(), { edm: 'Edm.Guid', create: true, update: true, lookup: { nav: 'MachineId', target: 'flowmachines' } }),
    /** The account a run through this connection signs in with. */
    sessionusername: field(Type.String({ minLength: 1, maxLength: 256 }), { edm: 'Edm.String', create: true, required: true, update: true }),
    /** That account's credential: write-only, stored hashed in `passwordhash` (as a machine group's password). */
    password: field(Type.String({ minLength: 1, maxLength: 256 }), { edm: 'Edm.String', create: true, update: true, hidden: true }),
    passwordhash: field(Text(512), { edm: 'Edm.String', hidden: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const DesktopFlowConnection = recordSchema(desktopflowconnectionEntity);
export type DesktopFlowConnection = Static<typeof DesktopFlowConnection>;
export const DesktopFlowConnectionCreate = writeSchema(desktopflowconnectionEntity, 'create');
export const DesktopFlowConnectionUpdate = writeSchema(desktopflowconnectionEntity, 'update');
