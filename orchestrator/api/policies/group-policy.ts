import { MachineGroupState, MachineGroupStatus, QueuingType } from '../../../shared/option-sets.js';
import { FlowMachineGroupCreate, FlowMachineGroupUpdate, flowmachineEntity, flowmachinegroupEntity, flowsessionEntity } from '../../../shared/records/index.js';
import { hashSecret, newSecret } from '../../auth/secrets.js';
import type { Row } from '../../store/store.js';
import { conflict } from '../api-error.js';
import type { EntityPolicy, WriteDeps } from './entity-policy.js';
import { TERMINAL_SQL } from './session-policy.js';

/** The write-only `password` never reaches the store: only its scrypt hash does. */
function hashPassword(values: Row): Row {
  const { password, ...rest } = values;
  return typeof password === 'string' ? { ...rest, passwordhash: hashSecret(password) } : rest;
}

const machinesOf = (deps: WriteDeps, groupId: string): Row[] =>
  deps.store.query(flowmachineEntity, { where: '_flowmachinegroupid_value = ?', params: [groupId] });

export const groupPolicy: EntityPolicy = {
  entity: flowmachinegroupEntity,
  createSchema: FlowMachineGroupCreate,
  updateSchema: FlowMachineGroupUpdate,
  deletable: true,
  prepareCreate: (_deps, values) => ({
    preferredqueuingtype: QueuingType.v.PriorityThenFIFO,
    statecode: MachineGroupState.v.Active,
    statuscode: MachineGroupStatus.v.Active,
    ...hashPassword(values),
    callbacksecret: newSecret(),
  }),
  prepareUpdate: (_deps, _current, patch) => hashPassword(patch),
  checkDelete(deps, current) {
    const id = String(current['flowmachinegroupid']);
    const machines = machinesOf(deps, id).length;
    if (machines > 0) throw conflict(`flowmachinegroup ${id} still has ${machines} machine(s); delete them first`, 'GroupNotEmpty');
    const open = deps.store.count(flowsessionEntity, { where: `_machinegroupid_value = ? AND NOT (${TERMINAL_SQL})`, params: [id] });
    if (open > 0) throw conflict(`flowmachinegroup ${id} has ${open} unfinished session(s)`, 'GroupBusy');
  },
  afterUpdate(deps, row) {
    for (const m of machinesOf(deps, String(row['flowmachinegroupid']))) deps.queue.machineChanged(String(m['flowmachineid']));
  },
};
