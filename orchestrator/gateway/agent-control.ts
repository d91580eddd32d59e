import { isTerminalStatus } from '../../shared/option-sets.js';
import type { AgentControl } from '../context.js';
import type { Store } from '../store/store.js';
import type { AssignmentQueries } from '../queue/assignment-book.js';
import type { AgentLinks } from '../queue/session-queue.js';

/** Operator commands sent to agents (pause/resume a session or a machine, drain). */
export function agentControl(store: Store, assignments: AssignmentQueries, links: AgentLinks): AgentControl {
  /** The machine that owns a running session, or undefined. */
  const owner = async (sessionId: string): Promise<string | undefined> => {
    const row = await store.sessions.get(sessionId);
    return row && (row.statuscode === null || !isTerminalStatus(row.statuscode)) ? assignments.confirmedMachineOf(sessionId) : undefined;
  };
  const toOwner = async (sessionId: string, type: 'pause' | 'resume') => {
    const machineId = await owner(sessionId);
    return machineId !== undefined && links.send(machineId, { type, sessionId });
  };
  return {
    pauseSession: (id) => toOwner(id, 'pause'),
    resumeSession: (id) => toOwner(id, 'resume'),
    pauseMachine: (id, until) => links.send(id, until ? { type: 'pause', until: until.toISOString() } : { type: 'pause' }),
    resumeMachine: (id) => links.send(id, { type: 'resume' }),
    drainMachine: (id) => links.send(id, { type: 'drain' }),
  };
}
