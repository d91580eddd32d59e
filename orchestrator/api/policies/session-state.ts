import { isTerminalStatus, SessionState, SessionStatus, stateForStatus } from '../../../shared/option-sets.js';
import type { SessionRecord } from '../../store/store.js';
import { badRequest, conflict } from '../api-error.js';
import type { Row, WriteDeps } from './entity-policy.js';

/**
 * A flowsession's statecode/statuscode on PATCH: a command, not a value to store. Paused pauses a Running session
 * on its agent (SIGSTOP), Running resumes a Paused one (SIGCONT), Cancelled cancels as CancelDesktopFlowRun does;
 * the record takes the new status when the agent (or the queue) reports it.
 */
export type SessionCommand = 'pause' | 'resume' | 'cancel';

const { v: Status } = SessionStatus;
const statusName = (statuscode: number | null): string => (statuscode === null ? 'none' : (SessionStatus.labels.get(statuscode) ?? String(statuscode)));
const stateName = (statecode: number): string => SessionState.labels.get(statecode) ?? String(statecode);

/** The command that moves a session from `current` to `requested` status; undefined when it is already there. */
export function sessionCommand(current: number | null, requested: number): SessionCommand | undefined {
  if (current === requested) return undefined;
  if (requested === Status.Paused && current === Status.Running) return 'pause';
  if (requested === Status.Running && current === Status.Paused) return 'resume';
  if (requested === Status.Cancelled && (current === null || !isTerminalStatus(current))) return 'cancel';
  return undefined;
}

/** The statuscode a PATCH asks for, or undefined; 400 for a pair Dataverse would not take (or null). */
function requestedStatus(current: SessionRecord, patch: Row, what: string): number | undefined {
  const state = patch['statecode'];
  const status = patch['statuscode'];
  if (state === null || status === null) throw badRequest(`${what}: statecode and statuscode cannot be null`);
  if (status === undefined) {
    if (state === undefined || state === (current.statecode ?? SessionState.v.Active)) return undefined;
    throw badRequest(`${what}: a flowsession's state changes by its statuscode (Paused, Running or Cancelled), not by statecode ${stateName(Number(state))} alone`, 'InvalidStateTransition');
  }
  const belongs = stateForStatus(Number(status));
  if (state !== undefined && Number(state) !== belongs) {
    throw badRequest(`${what}: statuscode ${statusName(Number(status))} belongs to statecode ${stateName(belongs)}, not ${stateName(Number(state))}`, 'InvalidStateTransition');
  }
  return Number(status);
}

/**
 * Checks the state change a PATCH asks of `current` (400 for a transition flowhost does not make, 409 when the
 * agent that runs it is not connected) and returns the patch without statecode/statuscode.
 */
export async function checkSessionStateChange(deps: WriteDeps, current: SessionRecord, patch: Row, what: string): Promise<Row> {
  const { statecode: _state, statuscode: _status, ...rest } = patch;
  const requested = requestedStatus(current, patch, what);
  if (requested === undefined || requested === current.statuscode) return rest;
  const refuse = (why: string) => badRequest(`${what}: flowsession ${current.flowsessionid} is ${statusName(current.statuscode)}: ${why}`, 'InvalidStateTransition');
  if (current.statuscode !== null && isTerminalStatus(current.statuscode)) throw refuse('it has ended and its status no longer changes');
  const command = sessionCommand(current.statuscode, requested);
  if (command === undefined) {
    switch (requested) {
      case Status.Paused:
        throw refuse('only a Running session can be paused');
      case Status.Running:
        throw refuse('only a Paused session can be resumed (flowhost starts Waiting sessions itself)');
      default:
        throw refuse(`statuscode ${statusName(requested)} is set by flowhost; a PATCH may ask for Paused, Running or Cancelled`);
    }
  }
  if (command !== 'cancel') {
    const machineId = current._machineid_value;
    if (!machineId || (await deps.store.machines.get(machineId))?.connected !== true) {
      throw conflict(`${what}: the machine running flowsession ${current.flowsessionid} is not connected; try again once it is`, 'AgentNotConnected');
    }
  }
  return rest;
}

/** Sends the command a committed PATCH asked for (checked by checkSessionStateChange). */
export async function applySessionStateChange(deps: WriteDeps, row: SessionRecord, requested: Row): Promise<void> {
  const status = requested['statuscode'];
  if (typeof status !== 'number') return;
  const command = sessionCommand(row.statuscode, status);
  if (command === undefined) return;
  switch (command) {
    case 'pause':
      await deps.control.pauseSession(row.flowsessionid);
      return;
    case 'resume':
      await deps.control.resumeSession(row.flowsessionid);
      return;
    case 'cancel':
      await deps.queue.cancel(row.flowsessionid);
      return;
  }
}
