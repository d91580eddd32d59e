import type { Static } from '@sinclair/typebox';
import type { LocalSessionFrame, OrchestratorFrame } from '../../shared/protocol.js';
import { flowmachineEntity, flowsessionEntity } from '../../shared/records/index.js';
import type { Queue } from '../queue/session-queue.js';
import { appendFlowLog } from '../queue/flowlog-writer.js';
import type { Store } from '../store/store.js';

/**
 * A Local run the agent started by itself (`flowhost run`): create its flowsession owned by this machine
 * (idempotent) and answer `confirm`, after which the agent may send the session's events.
 */
export function recordLocalSession(store: Store, queue: Queue, machineId: string, frame: Static<typeof LocalSessionFrame>): OrchestratorFrame {
  const existing = store.get(flowsessionEntity, frame.sessionId);
  if (existing) {
    const a = queue.book.get(frame.sessionId);
    return a?.machineId === machineId && a.state === 'confirmed'
      ? { type: 'confirm', sessionId: frame.sessionId }
      : { type: 'error', code: 'SessionExists', message: `session ${frame.sessionId} already exists and is not this machine's` };
  }
  store.transaction(() => {
    const machine = store.get(flowmachineEntity, machineId);
    store.insert(flowsessionEntity, {
      flowsessionid: frame.sessionId,
      name: frame.name,
      _regardingobjectid_value: frame.workflowid ?? null,
      _machineid_value: machineId,
      _machinegroupid_value: (machine?.['_flowmachinegroupid_value'] as string | null) ?? null,
      runmode: 0,
      triggertype: 2,
      statecode: 0,
      statuscode: 3,
      priority: 0,
      inputs: frame.inputs ?? null,
      createdon: frame.createdon,
    });
    queue.book.setTarget(frame.sessionId, machineId);
    queue.book.set(frame.sessionId, { machineId, state: 'confirmed', at: frame.createdon });
    appendFlowLog(store, frame.sessionId, { type: 'RunConfirmed', level: 'Information', data: { machineId, local: true } });
  });
  return { type: 'confirm', sessionId: frame.sessionId };
}
