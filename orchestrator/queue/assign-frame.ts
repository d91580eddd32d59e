import { RunMode } from '../../shared/option-sets.js';
import type { Static } from '@sinclair/typebox';
import { FlowDefinition } from '../../shared/flow-definition.js';
import { Assign, type AssignedSession } from '../../shared/protocol.js';
import { DEFAULT_RUN_TIMEOUT_S } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import type { SessionRecord, WorkflowRecord } from '../store/store.js';
import { clearInputs, secretInputsFor } from './secret-inputs.js';
import { parseStoredJson } from './stored-json.js';
import { callbackWithheld } from './session-retry.js';

export type AssignFrame = Static<typeof Assign>;

const checkFlow = validator(FlowDefinition);
const checkAssign = validator(Assign);

const str = (v: string | null): string | undefined => v || undefined;

/** The `assign` frame for a session and its workflow, or why the session cannot be run at all. */
export function buildAssignFrame(session: SessionRecord, workflow: WorkflowRecord | undefined): { ok: true; frame: AssignFrame } | { ok: false; error: string } {
  if (!workflow) return { ok: false, error: `workflow ${session._regardingobjectid_value} does not exist` };
  const flow = parseStoredJson(workflow.clientdata);
  if (!checkFlow.check(flow)) return { ok: false, error: `workflow clientdata is not a valid flow definition: ${checkFlow.errors('clientdata').join('; ')}` };
  const s: AssignedSession = {
    flowsessionid: session.flowsessionid,
    name: str(session.name) ?? str(workflow.name) ?? 'session',
    workflowid: workflow.workflowid,
    runmode: session.runmode ?? RunMode.v.Unattended,
    priority: session.priority ?? 0,
    timeout: session.timeout ?? DEFAULT_RUN_TIMEOUT_S,
    createdon: session.createdon,
  };
  for (const key of ['sessionusername', 'callbackurl', 'correlationid'] as const) {
    const v = str(session[key]);
    if (v !== undefined) s[key] = v;
  }
  // An attempt that may be tried again calls back through the orchestrator, and only when it turns out the last.
  if (callbackWithheld(session)) delete s.callbackurl;
  const frame: AssignFrame = {
    type: 'assign',
    session: s,
    flow,
    inputs: clearInputs(session),
    secretInputs: secretInputsFor(session, workflow),
  };
  const outputschema = str(workflow.outputschema);
  if (outputschema !== undefined) frame.outputschema = outputschema;
  if (!checkAssign.check(frame)) return { ok: false, error: `session cannot be assigned: ${checkAssign.errors('assign').join('; ')}` };
  return { ok: true, frame };
}
