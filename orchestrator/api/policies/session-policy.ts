import { isTerminalStatus, RunMode, SessionState, SessionStatus, TriggerType } from '../../../shared/option-sets.js';
import { DEFAULT_RUN_TIMEOUT_S, FlowSessionCreate, FlowSessionUpdate, flowsessionEntity } from '../../../shared/records/index.js';
import { storedInputs } from '../../queue/secret-inputs.js';
import { badRequest, conflict } from '../api-error.js';
import type { SessionRecord } from '../../store/store.js';
import type { EntityPolicy, Row, WriteDeps } from './entity-policy.js';
import { checkInputsSize, validateInputs } from './session-inputs.js';
import { applySessionStateChange, checkSessionStateChange } from './session-state.js';

/** Status Waiting (queued) of an active session. */
const WAITING = { statecode: SessionState.v.Active, statuscode: SessionStatus.v.Waiting } as const;

/**
 * The values of a new Waiting session: target checked (exactly one of group or machine; a machine brings its
 * group), inputs checked against the workflow's inputschema, defaults filled in.
 */
export async function prepareSession(deps: WriteDeps, values: Row, what: string): Promise<Row> {
  const machineId = values['_machineid_value'] as string | null | undefined;
  const groupId = values['_machinegroupid_value'] as string | null | undefined;
  if (!machineId === !groupId) throw badRequest(`${what}: a session targets exactly one of _machinegroupid_value (a group) or _machineid_value (a machine)`);
  const workflow = await deps.store.workflows.get(String(values['_regardingobjectid_value']));
  if (!workflow) throw badRequest(`${what}: workflow ${String(values['_regardingobjectid_value'])} does not exist`, 'LookupNotFound');
  validateInputs(workflow, values['inputs'] as string | null | undefined, what);
  const machine = machineId ? await deps.store.machines.get(machineId) : undefined;
  const inputs = typeof values['inputs'] === 'string' ? values['inputs'] : '{}';
  return {
    name: workflow.name,
    runmode: RunMode.v.Unattended,
    triggertype: TriggerType.v.ApiFlow,
    priority: 0,
    timeout: DEFAULT_RUN_TIMEOUT_S,
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== undefined)),
    ...storedInputs(workflow.inputschema, inputs),
    ...(machine ? { _machinegroupid_value: machine._flowmachinegroupid_value } : {}),
    ...WAITING,
  };
}

export const sessionPolicy: EntityPolicy<SessionRecord> = {
  entity: flowsessionEntity,
  createSchema: FlowSessionCreate,
  updateSchema: FlowSessionUpdate,
  deletable: true,
  precheck(body) {
    if (typeof body['inputs'] === 'string') checkInputsSize(body['inputs']);
  },
  prepareCreate: prepareSession,
  prepareUpdate: checkSessionStateChange,
  checkDelete(_deps, current) {
    if (current.statuscode === null || !isTerminalStatus(current.statuscode)) {
      throw conflict(`flowsession ${current.flowsessionid} has not finished (statuscode ${current.statuscode ?? 'none'}); cancel it first`, 'SessionNotFinished');
    }
  },
  deleteDependents(deps, current) {
    return deps.store.logs.deleteForSession(current.flowsessionid);
  },
  afterCreate(deps, row) {
    return deps.queue.enqueued(row.flowsessionid);
  },
  async afterUpdate(deps, row, requested) {
    await deps.queue.sessionChanged(row.flowsessionid);
    await applySessionStateChange(deps, row, requested);
  },
};
