import { cutUtf8 } from './utf8-cut.js';
import { RunMode } from './option-sets.js';

/**
 * Who runs a session on a machine — the one rule the orchestrator's queue and the agent both apply, so a session is
 * offered only where the agent takes it and runs as the user the queue counted on.
 *
 * User names compare exactly (case-sensitive): POSIX user names are, so `Robot` and `robot` may be two accounts, and
 * a rule that folded case could run a flow as the wrong one. The agent advertises the names it runs as
 * (`effectiveSessionUsers`), so the orchestrator compares against the same strings the agent does.
 */
export interface RunAsMachine {
  /**
   * The users the machine runs Unattended sessions as, first = the default (the agent's `--session-user` list,
   * advertised as `AgentState.sessionUsers`). Empty = the agent's own user only, never "nobody".
   */
  readonly sessionUsers: readonly string[];
  /** The agent's own user; undefined where it is not known (the orchestrator, which reads the advertised list). */
  readonly agentUser?: string | undefined;
  /** Attended: the user signed in at the machine while attended mode is on; undefined = none. */
  readonly attendedUser?: string | undefined;
}

export type RunAsReason = 'SessionUserUnavailable' | 'AttendedUserNotSignedIn';

export type RunAsChoice =
  /** `user` undefined: the agent's own user, whose name is not known where the rule ran (an older agent's empty list). */
  | { readonly ok: true; readonly user: string | undefined }
  | { readonly ok: false; readonly reason: RunAsReason; readonly message: string };

/** The users a machine runs Unattended sessions as: the configured ones, else the agent's own user. What it advertises. */
export function effectiveSessionUsers(configured: readonly string[], agentUser: string): readonly string[] {
  return configured.length > 0 ? configured : [agentUser];
}

const names = (users: readonly string[]): string => cutUtf8(users.join(', '), 1000);

/**
 * Which user runs a session of `runmode` naming `sessionUser` (or none) on `machine`, or why none can.
 * Unattended: the named user when the machine lists it; no name → the first listed user. Attended: the signed-in
 * user must be there (and be the named one, if any); it runs as the agent's own user, as Local runs do.
 */
export function chooseRunAs(sessionUser: string | null | undefined, runmode: number, machine: RunAsMachine): RunAsChoice {
  // An empty name is no name, on both sides.
  const named = sessionUser ? sessionUser : undefined;
  if (runmode === RunMode.v.Attended) {
    if (!machine.attendedUser) return refuse('AttendedUserNotSignedIn', 'no user is signed in for attended sessions on this machine (attended mode off, or nobody signed in)');
    if (named !== undefined && named !== machine.attendedUser) return refuse('AttendedUserNotSignedIn', `the session needs ${named} signed in, but ${machine.attendedUser} is`);
    return { ok: true, user: machine.agentUser };
  }
  if (runmode !== RunMode.v.Unattended) return { ok: true, user: machine.agentUser };
  const users = machine.sessionUsers.length > 0 ? machine.sessionUsers : machine.agentUser !== undefined ? [machine.agentUser] : [];
  if (named === undefined) return { ok: true, user: users[0] };
  if (users.includes(named)) return { ok: true, user: named };
  const listed = users.length > 0 ? names(users) : 'its own user only';
  return refuse('SessionUserUnavailable', `${cutUtf8(named, 256)} is not a session user of this machine (${listed})`);
}

const refuse = (reason: RunAsReason, message: string): RunAsChoice => ({ ok: false, reason, message });
