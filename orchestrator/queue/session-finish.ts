import { buildCallbackBody } from '../../shared/callback.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { isTerminalStatus, SessionStatus, stateForStatus } from '../../shared/option-sets.js';
import type { Row, Store } from '../store/store.js';
import { appendFlowLog } from './flowlog-writer.js';

export interface Finish {
  readonly statuscode: number;
  readonly completedon: string;
  readonly startedon?: string | null;
  readonly errorcode?: string | null;
  readonly errormessage?: string | null;
  readonly errordetails?: string | null;
  readonly runexecutionduration?: number | null;
  readonly extra?: Row;
  /**
   * The completion callback's body as the agent that ran the session built it: from its own values (its clock), so the
   * body stored here equals the agent's POST byte for byte. Absent for a session the orchestrator ended: built here.
   */
  readonly callbackBody?: string;
}

const ms = (iso: unknown): number | undefined => (typeof iso === 'string' ? Date.parse(iso) : undefined);
const span = (from: number | undefined, to: number | undefined): number | null =>
  from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, Math.round(to - from));

/**
 * Moves a session to a terminal status with its durations and a RunCompleted flowlog row.
 * Returns false (and changes nothing) when the session is already terminal: terminal is final.
 * Call inside a store transaction; `read` is the session's row if the caller just read it in that transaction.
 */
export function finishSession(store: Store, sessionId: string, f: Finish, read?: Row): boolean {
  const current = read ?? store.get(flowsessionEntity, sessionId);
  if (!current || isTerminalStatus(Number(current['statuscode']))) return false;
  const created = ms(current['createdon']);
  const startedon = (current['startedon'] as string | null) ?? f.startedon ?? null;
  const started = ms(startedon);
  const completed = ms(f.completedon);
  const wait = (current['runwaitduration'] as number | null) ?? span(created, started);
  const execution = f.runexecutionduration ?? span(started, completed);
  const patch: Row = {
    ...f.extra,
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
    // An agent's run time is measured on its monotonic clock, so wait + execution holds whatever its wall clock says.
    runduration: f.runexecutionduration != null && wait !== null ? wait + f.runexecutionduration : span(created, completed),
    runexecutionduration: execution,
    runwaitduration: wait,
  };
  // Built once, here, and re-sent as stored by every later delivery (TriggerDesktopFlowRunCallback, retries).
  if (current['callbackurl']) patch['callbackbody'] = f.callbackBody ?? ownCallbackBody(sessionId, patch, current);
  store.patch(flowsessionEntity, sessionId, patch);
  appendFlowLog(store, sessionId, {
    type: 'RunCompleted',
    level: f.statuscode === SessionStatus.v.Succeeded ? 'Information' : 'Error',
    data: { statuscode: f.statuscode, errorcode: f.errorcode ?? null, errormessage: f.errormessage ?? null },
    createdon: f.completedon,
  });
  return true;
}

function ownCallbackBody(sessionId: string, patch: Row, current: Row): string {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return JSON.stringify(
    buildCallbackBody({
      flowsessionid: sessionId,
      statuscode: Number(patch['statuscode']),
      statecode: Number(patch['statecode']),
      startedon: text(patch['startedon']),
      completedon: String(patch['completedon']),
      outputs: text(current['outputs']),
      errorcode: text(patch['errorcode']),
    }),
  );
}
