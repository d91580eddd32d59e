import type { AssignFrame, LocalSession, SessionStage } from './store-types.js';

/** A `sessions` row as SQLite returns it. */
export interface SessionRow {
  id: string;
  stage: SessionStage;
  statuscode: number;
  assign: string;
  acceptedon: string;
  startedon: string | null;
  completedon: string | null;
  pid: number | null;
  runas: string | null;
  errorcode: string | null;
  errormessage: string | null;
  errordetails: string | null;
  cpu_avg: number | null;
  ram_pct_avg: number | null;
  ram_mb_peak: number | null;
  runexecutionduration: number | null;
  local_seq: number | null;
  owner_pid: number | null;
  outputs: string | null;
}

/** Columns to select for toLocalSession (outputs joined from their table). */
export const SESSION_COLUMNS = `s.id, s.stage, s.statuscode, s.assign, s.acceptedon, s.startedon, s.completedon, s.pid, s.runas,
  s.errorcode, s.errormessage, s.errordetails, s.cpu_avg, s.ram_pct_avg, s.ram_mb_peak, s.runexecutionduration, s.local_seq, s.owner_pid, o.outputs`;
export const SESSION_FROM = 'sessions s LEFT JOIN outputs o ON o.session_id = s.id';

export function toLocalSession(row: SessionRow): LocalSession {
  // The assign frame was validated by the codec before it was stored.
  const assign = JSON.parse(row.assign) as AssignFrame;
  const opt = <K extends string, V>(key: K, value: V | null): { [P in K]?: V } => (value === null ? {} : ({ [key]: value } as { [P in K]: V }));
  return {
    sessionId: row.id,
    stage: row.stage,
    session: assign.session,
    flow: assign.flow,
    inputs: assign.inputs,
    secretInputs: assign.secretInputs,
    ...(assign.outputschema !== undefined ? { outputschema: assign.outputschema } : {}),
    statuscode: row.statuscode,
    acceptedon: row.acceptedon,
    ...opt('startedon', row.startedon),
    ...opt('completedon', row.completedon),
    ...opt('pid', row.pid),
    ...opt('runas', row.runas),
    ...opt('errorcode', row.errorcode),
    ...opt('errormessage', row.errormessage),
    ...opt('errordetails', row.errordetails),
    ...opt('outputs', row.outputs),
    ...opt('machinepercentcpuusage', row.cpu_avg),
    ...opt('machinepercentramusage', row.ram_pct_avg),
    ...opt('machineramusage', row.ram_mb_peak),
    ...opt('runexecutionduration', row.runexecutionduration),
    ...(row.local_seq === null ? {} : { local: true as const }),
    ...opt('ownerPid', row.owner_pid),
  };
}
