import { MachineGroupState, MachineGroupStatus, QueuingType } from '../../../shared/option-sets.js';
import { FlowMachineGroupCreate, FlowMachineGroupUpdate, flowmachinegroupEntity } from '../../../shared/records/index.js';
import { hashSecret, newSecret } from '../../auth/secrets.js';
import { conflict } from '../api-error.js';
import type { GroupRecord } from '../../store/store.js';
import type { EntityPolicy, Row } from './entity-policy.js';

/** The write-only `password` never reaches the store: only its scrypt hash does. */
function hashPassword(values: Row): Row {
  const { password, ...rest } = values;
  return typeof password === 'string' ? { ...rest, passwordhash: hashSecret(password) } : rest;
}

export const groupPolicy: EntityPolicy<GroupRecord> = {
  entity: flowmachinegroupEntity,
  createSchema: FlowMachineGroupCreate,
  updateSchema: FlowMachineGroupUpdate,
  deletable: true,
  prepareCreate: (_deps, values) => ({
    preferredqueuingtype: QueuingType.v.ExtendedQueuePrioritization,
    statecode: MachineGroupState.v.Active,
    statuscode: MachineGroupStatus.v.Active,
    ...hashPassword(values),
    callbacksecret: newSecret(),
  }),
  prepareUpdate: (_deps, _current, patch) => hashPassword(patch),
  async checkDelete(deps, current) {
    const id = current.flowmachinegroupid;
    const machines = (await deps.store.machines.inGroup(id)).length;
    if (machines > 0) throw conflict(`flowmachinegroup ${id} still has ${machines} machine(s); delete them first`, 'GroupNotEmpty');
    const open = await deps.store.sessions.countOpenForGroup(id);
    if (open > 0) throw conflict(`flowmachinegroup ${id} has ${open} unfinished session(s)`, 'GroupBusy');
  },
  async afterUpdate(deps, row) {
    for (const m of await deps.store.machines.inGroup(row.flowmachinegroupid)) await deps.queue.machineChanged(m.flowmachineid);
  },
};
