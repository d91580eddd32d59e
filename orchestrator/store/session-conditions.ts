import { SessionStatus, TERMINAL_STATUSES } from '../../shared/option-sets.js';

const S = SessionStatus.v;

/** Not terminal: the one rule of shared/option-sets.ts, as SQL both engines run. */
export const OPEN = `NOT (statuscode IN (${[...TERMINAL_STATUSES].join(', ')}))`;
/** Statuses of a session that may hold an assignment: waiting (offered or confirmed, not started), running, paused. */
export const MAY_HOLD_ASSIGNMENT = `statuscode IN (${[S.Paused, S.Running, S.Waiting].join(', ')})`;
