import type { Static } from '@sinclair/typebox';
import type { LocalSessionEvent } from '../../shared/protocol.js';
import { RunMode, SessionState, SessionStatus, TriggerType } from '../../shared/option-sets.js';
import type { Queue } from '../queue/session-queue.js';
import { appendFlowLog } from '../queue/flowlog-writer.js';
import { storedInputs } from '../queue/secret-inputs.js';
import type { Repositories } from '../store/store.js';

/** What a Local run reports about itself: its `local-session` event. */
export type LocalSessionInfo = Pick<Static<typeof LocalSessionEvent>, 'sessionId' | 'name' | 'createdon' | 'inputs' | 'workflowid'>;

/**
 * A Local run the agent started by itself (`flowhost run`): creates its flowsession (runmode Local, triggertype
 * Local) confirmed to this machine, with a RunConfirmed flowlog. Idempotent. Returns false when the id belongs to a
 * session that is not this machine's (nothing changes). Writes in the caller's store transaction `tx`.
 */
export async function ensureLocalSession(tx: Repositories, queue: Queue, machineId: string, info: LocalSessionInfo): Promise<boolean> {
  if (await tx.sessions.get(info.sessionId)) {
    return (await queue.assignments.confirmedMachineOf(info.sessionId, tx)) === machineId;
  }
  const machine = await tx.machines.get(machineId);
  // A workflow file may name a workflow this orchestrator does not have: the session then points at none.
  const workflow = info.workflowid ? await tx.workflows.get(info.workflowid) : undefined;
  const workflowid = workflow ? info.workflowid : null;
  await tx.sessions.insert({
      flowsessionid: info.sessionId,
      name: info.name,
      _regardingobjectid_value: workflowid,
      _machineid_value: machineId,
      _machinegroupid_value: machine?._flowmachinegroupid_value ?? null,
      runmode: RunMode.v.Local,
      triggertype: TriggerType.v.Local,
      statecode: SessionState.v.Active,
      statuscode: SessionStatus.v.Waiting,
      priority: 0,
      // Never assigned, so its clear inputs are not kept (an agent masks them itself).
      inputs: info.inputs !== undefined && workflow ? storedInputs(workflow.inputschema, info.inputs).inputs : (info.inputs ?? null),
      createdon: info.createdon,
    });
  await queue.recordLocalRun(tx, info.sessionId, machineId, info.createdon);
  await appendFlowLog(tx, info.sessionId, { type: 'DesktopFlowRunQueueRunConfirmed', level: 'Info', data: { machineId, local: true } });
  return true;
}
