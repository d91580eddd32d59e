import { isTerminalStatus } from '../../shared/option-sets.js';
import type { OrchestratorFrame } from '../../shared/protocol.js';
import type { Store } from '../store/store.js';
import type { AssignmentBook } from './assignment-book.js';

/** Welcome data for a machine that just said hello. */
export interface HelloReconcile {
  readonly cancelSessions: string[];
  /** Frames to send right after `welcome` (re-sent confirms, timeout cancels). */
  readonly followUps: OrchestratorFrame[];
}

/** Reconciles the sessions an agent says it holds with what the orchestrator knows. */
export async function reconcileHello(store: Store, book: AssignmentBook, machineId: string, activeSessions: readonly string[]): Promise<HelloReconcile> {
  const out: HelloReconcile = { cancelSessions: [], followUps: [] };
  // Reads only (no transaction): all at once, judged in the agent's order.
  const known = await Promise.all(activeSessions.map(async (id) => ({ id, a: await book.get(id), row: await store.sessions.get(id), pending: await book.pendingCancel(id) })));
  for (const { id, a, row, pending } of known) {
    if (!a || a.machineId !== machineId || a.state !== 'confirmed' || !row || (row.statuscode !== null && isTerminalStatus(row.statuscode))) {
      out.cancelSessions.push(id);
      continue;
    }
    if (pending === 'cancelled') out.cancelSessions.push(id);
    else if (pending === 'timeout') out.followUps.push({ type: 'cancel', sessionId: id, reason: 'timeout' });
    else if (!row.startedon) out.followUps.push({ type: 'confirm', sessionId: id });
  }
  return out;
}
