import { buildCallbackBody } from '../../shared/callback.js';
import type { FlowSession } from '../../shared/records/index.js';
import { isTerminalStatus, SessionStatus, stateForStatus } from '../../shared/option-sets.js';
import type { Repositories, SessionRecord, Values } from '../store/store.js';
import { appendFlowLog } from './flowlog-writer.js';
import { scheduleRetry, type RetryClock } from './session-retry.js';

export interface Finish {
  readonly statuscode: number;
  readonly completedon: string;
  readonly startedon?: string | null;
  readonly errorcode?: string | null;
  readonly errormessage?: string | null;
  readonly errordetails?: string | null;
  readonly runexecutionduration?: number | null;
  readonly extra?: Values<FlowSession>;
  /**
   * The completion callback's body as the agent that ran the session built it: from its own values (its clock), so the
   * body stored here equals the agent's POST byte for byte. Absent for a session the orchestrator ended: built here.
   */
  readonly callbackBody?: string;
}

const SYSTEM_CLOCK: RetryClock = { now: () => new Date() };

const ms = (iso: string | null | undefined): number | undefined => (typeof iso === 'string' ? Date.parse(iso) : undefined);
const span = (from: number | undefined, to: number | undefined): number | null =>
  from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, Math.round(to - from));

/**
 * Moves a session to a terminal status with its durations and a RunCompleted flowlog row.
 * When its retry policy names the ending and attempts remain, the next attempt is created in the same transaction
 * (session-retry.ts; `clock` gives its eligible time).
 * Returns false (and changes nothing) when the session is already terminal: terminal is final.
 * Call inside a store transaction, with its repositories; `read` is the session if the caller just read it in that
 * transaction.
 */
export async function finishSession(tx: Repositories, sessionId: string, f: Finish, read?: SessionRecord, clock: RetryClock = SYSTEM_CLOCK): Promise<boolean> {
  const current = read ?? (await tx.sessions.get(sessionId));
  if (!current || current.statuscode === null || isTerminalStatus(current.statuscode)) return false;
  const created = ms(current.createdon);
  const startedon = current.startedon ?? f.startedon ?? null;
  const started = ms(startedon);
  const completed = ms(f.completedon);
  const wait = current.runwaitduration ?? span(created, started);
  const execution = f.runexecutionduration ?? span(started, completed);
  const retried = await scheduleRetry(tx, current, { statuscode: f.statuscode, errorcode: f.errorcode, errordetails: f.errordetails }, clock);
  const patch = {
    ...f.extra,
    ...retried,
    statuscode: f.statuscode,
    statecode: stateForStatus(f.statuscode),
    completedon: f.completedon,
    startedon,
    queuereason: null,
    errorcode: f.errorcode ?? null,
    errormessage: f.errormessage ?? null,
    errordetails: f.errordetails ?? null,
    // Secret inputs are kept in clear only while the session may still be assigned (secret-inputs.ts).
    secretinputs: null,
    // The session's token dies with it.
    sessiontokenhash: null,
    // An agent's run time is measured on its monotonic clock, so wait + execution holds whatever its wall clock says.
    runduration: f.runexecutionduration != null && wait !== null ? wait + f.runexecutionduration : span(created, completed),
    runexecutionduration: execution,
    runwaitduration: wait,
  } satisfies Values<FlowSession>;
  // Built once, here, and re-sent as stored by every later delivery (TriggerDesktopFlowRunCallback, retries).
  const callbackbody = current.callbackurl ? (f.callbackBody ?? ownCallbackBody(sessionId, patch, current)) : undefined;
  await tx.sessions.patch(sessionId, callbackbody === undefined ? patch : { ...patch, callbackbody });
  await appendFlowLog(tx, sessionId, {
    type: 'DesktopFlowRunQueueRunCompleted',
    level: f.statuscode === SessionStatus.v.Succeeded ? 'Info' : 'Error',
    data: { statuscode: f.statuscode, errorcode: f.errorcode ?? null, errormessage: f.errormessage ?? null },
    createdon: f.completedon,
  });
  return true;
}

type Ended = Pick<FlowSession, 'startedon' | 'errorcode'> & { readonly statuscode: number; readonly statecode: number; readonly completedon: string };

function ownCallbackBody(sessionId: string, patch: Ended, current: FlowSession): string {
  return JSON.stringify(
    buildCallbackBody({
      flowsessionid: sessionId,
      statuscode: patch.statuscode,
      statecode: patch.statecode,
      startedon: patch.startedon,
      completedon: patch.completedon,
      outputs: current.outputs,
      errorcode: patch.errorcode,
    }),
  );
}
