import { RunDesktopFlowRequest, type RunDesktopFlowResponse } from '../../shared/api-actions.js';
import { Priority, RunMode, TriggerType } from '../../shared/option-sets.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import { notFound } from './api-error.js';
import { checkLookupTargets } from './lookups.js';
import { checkInputsSize } from './policies/session-inputs.js';
import { prepareSession } from './policies/session-policy.js';
import type { WriteDeps } from './policies/index.js';
import type { Written } from './record-writer.js';

const runRequest = validator(RunDesktopFlowRequest);

/** The `runPriority` of the action as a session `priority`. */
const priorityOf = (p: RunDesktopFlowRequest['runPriority']): number => (p === undefined ? Priority.normal : typeof p === 'number' ? p : Priority[p]);

/**
 * `RunDesktopFlow` bound to a workflow: creates a Waiting session (triggertype RunDesktopFlowDataverseApi) and queues it.
 * Runs inside a transaction: `deps.store` is its repositories.
 */
export function runDesktopFlow(deps: WriteDeps, workflowId: string, body: unknown): Written & { response: RunDesktopFlowResponse } {
  const req = runRequest.parse(body ?? {}, 'RunDesktopFlow body');
  const inputs = JSON.stringify(req.inputs ?? {});
  checkInputsSize(inputs);
  if (!deps.store.workflows.get(workflowId)) throw notFound(`workflow with id ${workflowId} does not exist`);
  const requested = {
    _regardingobjectid_value: workflowId,
    _machinegroupid_value: req.machineGroupId?.toLowerCase() ?? null,
    _machineid_value: req.machineId?.toLowerCase() ?? null,
    runmode: req.runMode === 'attended' ? RunMode.v.Attended : RunMode.v.Unattended,
    triggertype: TriggerType.v.RunDesktopFlowDataverseApi,
    priority: priorityOf(req.runPriority),
    timeout: req.timeout ?? null,
    inputs,
    callbackurl: req.callbackUrl ?? null,
    scheduledfor: req.scheduledFor ?? null,
    sessionusername: req.sessionUser ?? null,
    correlationid: req.correlationId ?? null,
  };
  checkLookupTargets(deps.store, flowsessionEntity, requested, 'RunDesktopFlow body');
  const values = prepareSession(deps, requested, 'RunDesktopFlow body');
  const row = deps.store.records.insert(flowsessionEntity, values);
  const id = String(row[flowsessionEntity.key]);
  return { row, response: { flowsessionId: id }, after: () => deps.queue.enqueued(id) };
}
