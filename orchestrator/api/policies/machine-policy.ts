import { MachineState, MachineStatus } from '../../../shared/option-sets.js';
import { FlowMachineUpdate, flowmachineEntity } from '../../../shared/records/index.js';
import { badRequest, conflict } from '../api-error.js';
import type { MachineRecord } from '../../store/store.js';
import type { EntityPolicy, Row, WriteDeps } from './entity-policy.js';

const { v: State } = MachineState;
const { v: Status } = MachineStatus;
/** statecode → the statuscode it implies when a PATCH sets only the state (a draining agent's Maintenance is DrainMode). */
const statusForState = (state: number, draining: boolean): number =>
  state === State.Maintenance ? (draining ? Status.DrainMode : Status.ManualMaintenance) : state === State.Active ? Status.Active : Status.Inactive;
/** statuscodes that fit each statecode (Active's others are the ones flowhost derives from the connection). */
const STATUSES_OF_STATE: Record<number, readonly number[]> = {
  [State.Active]: [Status.Active, Status.Inactive, Status.RequiresReconnection],
  [State.Inactive]: [Status.Inactive],
  [State.Maintenance]: [Status.ManualMaintenance, Status.DrainMode],
};
const label = (set: typeof MachineState | typeof MachineStatus, value: number): string => set.labels.get(value) ?? String(value);

/**
 * statecode/statuscode of a PATCH, checked: DrainMode (under Maintenance, as in Dataverse) drains the connected agent
 * (it takes no new work, its runs finish); an agent drains until it restarts, so while it does only DrainMode or
 * Inactive are accepted.
 */
function machineStatus(_deps: WriteDeps, current: MachineRecord, patch: Row, what: string): Row {
  if (patch['statecode'] === undefined && patch['statuscode'] === undefined) return patch;
  if (patch['statecode'] === null || patch['statuscode'] === null) throw badRequest(`${what}: statecode and statuscode cannot be null`);
  const draining = current.connected === true && current.draining === true;
  const state = Number(patch['statecode'] ?? current.statecode ?? State.Active);
  const status = Number(patch['statuscode'] ?? (patch['statecode'] !== undefined ? statusForState(state, draining) : current.statuscode));
  if (!STATUSES_OF_STATE[state]?.includes(status)) {
    throw badRequest(`${what}: statuscode ${label(MachineStatus, status)} does not belong to statecode ${label(MachineState, state)}`, 'InvalidStateTransition');
  }
  if (draining && state !== State.Inactive && status !== Status.DrainMode) {
    throw conflict(`${what}: flowmachine ${current.flowmachineid} is draining; it leaves DrainMode when its agent restarts (or set statecode Inactive)`, 'AgentDraining');
  }
  if (status === Status.DrainMode && current.connected !== true) {
    throw conflict(`${what}: flowmachine ${current.flowmachineid} is not connected; DrainMode is sent to its agent`, 'AgentNotConnected');
  }
  return { ...patch, statecode: state, statuscode: status };
}

/** Machines register through the agent gateway; the API changes and removes them. */
export const machinePolicy: EntityPolicy<MachineRecord> = {
  entity: flowmachineEntity,
  updateSchema: FlowMachineUpdate,
  deletable: true,
  prepareUpdate: machineStatus,
  // A session that waits for, is assigned to or runs on a machine would never end once the machine is gone; an
  // offered or confirmed session carries its machine in _machineid_value too.
  async checkDelete(deps, current) {
    const id = current.flowmachineid;
    const n = await deps.store.sessions.countOpenForMachine(id);
    if (n > 0) throw conflict(`flowmachine ${id} has ${n} open session(s) (waiting for it, assigned to it or running on it); cancel them (CancelDesktopFlowRun) or wait for them to end, then delete it`, 'MachineBusy');
  },
  afterUpdate(deps, row) {
    if (row.statuscode === Status.DrainMode && row.draining !== true) deps.control.drainMachine(row.flowmachineid);
    return deps.queue.machineChanged(row.flowmachineid);
  },
  afterDelete: (deps, row) => deps.queue.machineChanged(row.flowmachineid),
};
