import { MachineState, MachineStatus } from '../../../shared/option-sets.js';
import { FlowMachineUpdate, flowmachineEntity } from '../../../shared/records/index.js';
import { badRequest, conflict } from '../api-error.js';
import type { MachineRecord } from '../../store/store.js';
import type { EntityPolicy, Row } from './entity-policy.js';

const { v: State } = MachineState;
const { v: Status } = MachineStatus;
/** statecode → the statuscode it implies when a PATCH sets only the state. */
const STATUS_FOR_STATE: Record<number, number> = { [State.Active]: Status.Active, [State.Inactive]: Status.Inactive, [State.Maintenance]: Status.ManualMaintenance };
/** statuscodes that fit each statecode. */
const STATUSES_OF_STATE: Record<number, readonly number[]> = {
  [State.Active]: [Status.Active, Status.Inactive, Status.RequiresReconnection, Status.DrainMode],
  [State.Inactive]: [Status.Inactive],
  [State.Maintenance]: [Status.ManualMaintenance],
};

function machineStatus(current: MachineRecord, patch: Row, what: string): Row {
  if (patch['statecode'] === undefined && patch['statuscode'] === undefined) return patch;
  const state = Number(patch['statecode'] ?? current.statecode ?? State.Active);
  const status = patch['statuscode'] ?? (patch['statecode'] !== undefined ? STATUS_FOR_STATE[state] : current.statuscode);
  if (patch['statecode'] === null || patch['statuscode'] === null) throw badRequest(`${what}: statecode and statuscode cannot be null`);
  if (!STATUSES_OF_STATE[state]?.includes(Number(status))) throw badRequest(`${what}: statuscode ${String(status)} does not fit statecode ${state}`);
  return { ...patch, statecode: state, statuscode: status };
}

/** Machines register through the agent gateway; the API changes and removes them. */
export const machinePolicy: EntityPolicy<MachineRecord> = {
  entity: flowmachineEntity,
  updateSchema: FlowMachineUpdate,
  deletable: true,
  prepareUpdate: (_deps, current, patch, what) => machineStatus(current, patch, what),
  // A session that waits for, is assigned to or runs on a machine would never end once the machine is gone; an
  // offered or confirmed session carries its machine in _machineid_value too.
  checkDelete(deps, current) {
    const id = current.flowmachineid;
    const n = deps.store.sessions.countOpenForMachine(id);
    if (n > 0) throw conflict(`flowmachine ${id} has ${n} open session(s) (waiting for it, assigned to it or running on it); cancel them (CancelDesktopFlowRun) or wait for them to end, then delete it`, 'MachineBusy');
  },
  afterUpdate: (deps, row) => deps.queue.machineChanged(row.flowmachineid),
  afterDelete: (deps, row) => deps.queue.machineChanged(row.flowmachineid),
};
