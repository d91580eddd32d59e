import { RunDesktopFlowRequest, type RunDesktopFlowResponse } from '../../shared/api-actions.js';
import { Priority, RunMode, TriggerType } from '../../shared/option-sets.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import { badRequest, notFound } from './api-error.js';
import { checkLookupTargets } from './lookups.js';
import { checkInputsSize } from './policies/session-inputs.js';
import { prepareSession } from './policies/session-policy.js';
import type { WriteDeps } from './policies/index.js';
import type { Written } from './record-writer.js';
import { runTarget } from './run-connection.js';

const runRequest = validator(RunDesktopFlowRequest);

const WHAT = 'RunDesktopFlow body';

/**
 * The `runPriority` of the action as a session `priority` (higher first). Microsoft's `normal` and `high` (any case)
 * are 0 and 100; "your own" is an integer, as a number (flowhost's extension) or written as text (`"50"`, `"-10"`).
 * Any other word is refused: mapping it to some priority would be a guess.
 */
export function priorityOf(p: RunDesktopFlowRequest['runPriority']): number {
  if (p === undefined || p === null) return Priority.normal;
  if (typeof p === 'number') return p;
  const named = p.trim().toLowerCase();
  if (named === 'normal' || named === 'high') return Priority[named];
  const n = /^[+-]?\d{1,7}$/.test(p.trim()) ? Number(p.trim()) : NaN;
  if (Number.isInteger(n) && Math.abs(n) <= 1_000_000) return n;
  throw badRequest(
    `${WHAT}: runPriority '${p.slice(0, 100)}' is neither normal, high nor an integer priority from -1000000 to 1000000 written as text (higher runs first; normal = ${Priority.normal}, high = ${Priority.high})`,
    'InvalidRunPriority',
  );
}

/** `inputs` as the session stores them: Microsoft's JSON serialized string as it came, an object (flowhost's extension) serialized. */
function inputsText(inputs: RunDesktopFlowRequest['inputs']): string {
  const text = typeof inputs === 'string' ? inputs : JSON.stringify(inputs ?? {});
  checkInputsSize(text);
  return text;
}

/** What a child session records of its parent (set by the orchestrator when a session's token starts it). */
export interface ChildOf {
  readonly _parentsessionid_value: string;
  readonly parentworkflowid: string | null;
  readonly orphan: boolean;
}

/**
 * `RunDesktopFlow` bound to a workflow: creates a Waiting session (triggertype RunDesktopFlowDataverseApi) and queues it.
 * Runs inside a transaction: `deps.store` is its repositories. `child`: the session is a child of another.
 */
export async function runDesktopFlow(deps: WriteDeps, workflowId: string, body: unknown, child?: ChildOf): Promise<Written & { response: RunDesktopFlowResponse }> {
  const req = runRequest.parse(body ?? {}, WHAT);
  const inputs = inputsText(req.inputs);
  const priority = priorityOf(req.runPriority);
  if (!(await deps.store.workflows.get(workflowId))) throw notFound(`workflow with id ${workflowId} does not exist`);
  const target = await runTarget(deps.store, req, WHAT);
  const requested = {
    _regardingobjectid_value: workflowId,
    _machinegroupid_value: target.machineGroupId,
    _machineid_value: target.machineId,
    runmode: req.runMode === 'attended' ? RunMode.v.Attended : RunMode.v.Unattended,
    triggertype: TriggerType.v.RunDesktopFlowDataverseApi,
    priority,
    timeout: req.timeout ?? null,
    inputs,
    callbackurl: req.callbackUrl ?? null,
    scheduledfor: req.scheduledFor ?? null,
    sessionusername: target.sessionusername,
    connectionid: target.connectionid,
    correlationid: req.correlationId ?? null,
    // The call's policy wins over its workflow's (prepareSession falls back to that one).
    retrypolicy: req.retryPolicy ?? null,
  };
  await checkLookupTargets(deps.store, flowsessionEntity, requested, WHAT);
  const values = await prepareSession(deps, requested, WHAT);
  const row = await deps.store.records.insert(flowsessionEntity, child ? { ...values, ...child } : values);
  const id = String(row[flowsessionEntity.key]);
  return { row, response: { flowsessionId: id }, after: () => deps.queue.enqueued(id) };
}
