import type { RunDesktopFlowRequest } from '../../shared/api-actions.js';
import { connectionreferenceEntity, desktopflowconnectionEntity } from '../../shared/records/index.js';
import type { Repositories, StoredRecord } from '../store/store.js';
import { badRequest } from './api-error.js';

/** Where a RunDesktopFlow session runs and as whom. */
export interface RunTarget {
  readonly machineGroupId: string | null;
  readonly machineId: string | null;
  readonly connectionid: string | null;
  readonly sessionusername: string | null;
}

const byField = async (store: Repositories, entity: typeof desktopflowconnectionEntity | typeof connectionreferenceEntity, property: string, value: string) =>
  (await store.records.list(entity, { filter: { kind: 'compare', op: 'eq', property, value: { kind: 'string', value } }, top: 1 }))[0];

/** The desktopflowconnection `connectionName` names: by name (connectionType 1, the default) or through a connection reference (2). */
async function connectionOf(store: Repositories, req: RunDesktopFlowRequest, name: string, what: string): Promise<StoredRecord> {
  const shown = name.slice(0, 100);
  if (req.connectionType !== 2) {
    const connection = await byField(store, desktopflowconnectionEntity, 'name', name);
    if (!connection) throw badRequest(`${what}: no connection named '${shown}' (connectionType 1 looks connectionName up among desktopflowconnections by name)`, 'ConnectionNotFound');
    return connection;
  }
  const reference = await byField(store, connectionreferenceEntity, 'connectionreferencelogicalname', name);
  if (!reference) {
    throw badRequest(`${what}: no connection reference with logical name '${shown}' (connectionType 2 looks connectionName up among connectionreferences by connectionreferencelogicalname)`, 'ConnectionNotFound');
  }
  const id = reference['connectionid'];
  const connection = typeof id === 'string' ? await store.records.get(desktopflowconnectionEntity, id) : undefined;
  if (!connection) throw badRequest(`${what}: connection reference '${shown}' names no existing connection (its connectionid is ${String(id)})`, 'ConnectionNotFound');
  return connection;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The session's target and account: the connection's when `connectionName` is given (an explicit machineGroupId,
 * machineId or sessionUser that contradicts it is a 400 naming both), else flowhost's extensions as given.
 */
export async function runTarget(store: Repositories, req: RunDesktopFlowRequest, what: string): Promise<RunTarget> {
  const machineGroupId = req.machineGroupId?.toLowerCase() ?? null;
  const machineId = req.machineId?.toLowerCase() ?? null;
  if (req.connectionName === undefined) return { machineGroupId, machineId, connectionid: null, sessionusername: req.sessionUser ?? null };
  const connection = await connectionOf(store, req, req.connectionName, what);
  const target: RunTarget = {
    machineGroupId: text(connection['_machinegroupid_value']),
    machineId: text(connection['_machineid_value']),
    connectionid: String(connection['connectionid']),
    sessionusername: text(connection['sessionusername']),
  };
  const given = [
    ['machineGroupId', machineGroupId, target.machineGroupId],
    ['machineId', machineId, target.machineId],
    ['sessionUser', req.sessionUser ?? null, target.sessionusername],
  ] as const;
  for (const [param, asked, bound] of given) {
    if (asked !== null && asked !== bound) {
      throw badRequest(
        `${what}: ${param} '${asked.slice(0, 256)}' contradicts connection '${req.connectionName.slice(0, 100)}', which runs ${bound === null ? `with no ${param}` : `with ${param} '${bound}'`}; leave ${param} out or make it agree`,
        'ConnectionContradicted',
      );
    }
  }
  return target;
}
