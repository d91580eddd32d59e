import {
  ConnectionReferenceCreate,
  ConnectionReferenceUpdate,
  DesktopFlowConnectionCreate,
  DesktopFlowConnectionUpdate,
  connectionreferenceEntity,
  desktopflowconnectionEntity,
} from '../../../shared/records/index.js';
import type { Repositories, StoredRecord } from '../../store/store.js';
import { badRequest, conflict } from '../api-error.js';
import { isGuid } from '../paths.js';
import type { EntityPolicy, Row } from './entity-policy.js';
import { hashPassword } from './group-policy.js';

/** A connection targets exactly one machine group or one machine, as Power Automate's does. */
function checkTarget(values: Row, what: string): void {
  const group = values['_machinegroupid_value'] ?? null;
  const machine = values['_machineid_value'] ?? null;
  if ((group === null) === (machine === null)) {
    throw badRequest(`${what}: a desktopflowconnection binds exactly one of MachineGroupId or MachineId (_machinegroupid_value, _machineid_value)`);
  }
}

/** The connection references naming connection `id`. */
export async function referencesTo(store: Repositories, id: string): Promise<StoredRecord[]> {
  const filter = { kind: 'compare', op: 'eq', property: 'connectionid', value: { kind: 'string', value: id.toLowerCase() } } as const;
  return store.records.list(connectionreferenceEntity, { filter });
}

/** flowhost's desktop-flow connections: a target checked, the credential kept only hashed, never deleted while referenced. */
export const connectionPolicy: EntityPolicy = {
  entity: desktopflowconnectionEntity,
  createSchema: DesktopFlowConnectionCreate,
  updateSchema: DesktopFlowConnectionUpdate,
  deletable: true,
  prepareCreate(_deps, values, what) {
    checkTarget(values, what);
    return hashPassword(values);
  },
  prepareUpdate(_deps, current, patch, what) {
    checkTarget({ ...current, ...patch }, what);
    return hashPassword(patch);
  },
  async checkDelete(deps, current) {
    const id = String(current['connectionid']);
    const refs = await referencesTo(deps.store, id);
    if (refs.length > 0) {
      const names = refs.map((r) => String(r['connectionreferencelogicalname'])).slice(0, 5);
      throw conflict(`desktopflowconnection ${id} is named by connection reference(s) ${names.join(', ')}; change or delete them first`, 'ConnectionInUse');
    }
  },
};

/** A connection reference's `connectionid` names an existing desktopflowconnection (kept in lower case). */
async function checkConnectionId(store: Repositories, values: Row, what: string): Promise<Row> {
  const id = values['connectionid'];
  if (typeof id !== 'string') return values;
  if (!isGuid(id) || !(await store.records.get(desktopflowconnectionEntity, id.toLowerCase()))) {
    throw badRequest(`${what}: connectionid '${id.slice(0, 100)}' names no desktopflowconnection`, 'LookupNotFound');
  }
  return { ...values, connectionid: id.toLowerCase() };
}

/** Dataverse's connection references, pointing at flowhost's desktop-flow connections. */
export const connectionReferencePolicy: EntityPolicy = {
  entity: connectionreferenceEntity,
  createSchema: ConnectionReferenceCreate,
  updateSchema: ConnectionReferenceUpdate,
  deletable: true,
  prepareCreate: (deps, values, what) => checkConnectionId(deps.store, values, what),
  prepareUpdate: (deps, _current, patch, what) => checkConnectionId(deps.store, patch, what),
};
