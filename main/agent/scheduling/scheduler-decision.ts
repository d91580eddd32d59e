import type { Static } from '@sinclair/typebox';
import { ErrorCode } from '../../../shared/error-codes.js';
import { RunMode } from '../../../shared/option-sets.js';
import type { Assign } from '../../../shared/protocol.js';
import { chooseRunAs } from '../../../shared/session-user-rule.js';

/** What the scheduler knows about this machine when an `assign` arrives. */
export interface MachineSchedule {
  readonly now: Date;
  readonly capacity: number;
  /** Slots taken by sessions that are accepted, confirmed, running or paused. */
  readonly occupied: number;
  readonly paused: boolean;
  /** A pause with an end: past it the machine takes work again. */
  readonly pausedUntil?: Date;
  readonly draining: boolean;
  /** False when the data dir cannot take new work (a store write failed). */
  readonly storageOk: boolean;
  /** Why storage is not ok (disk full, read-only data dir, the last failed write), for the reject message. */
  readonly storageProblem?: string;
  /** Unacked upstream events above the outbox cap: no new work until the orchestrator has taken them. */
  readonly outbox?: { readonly pending: number; readonly cap: number };
  readonly attendedMode: boolean;
  /** The user signed in at the machine's desktop (tray app), if any. */
  readonly signedInUser?: string;
  /** Users the agent is configured to run unattended sessions as; empty means "the agent's own user". */
  readonly sessionUsers: readonly string[];
  /** The user the agent runs as. */
  readonly agentUser: string;
  /** Why unattended sessions cannot get their display now (desktop/), if they cannot. */
  readonly unattendedProblem?: string;
}

export type CanRunAs = (user: string) => { ok: true } | { ok: false; reason: string };

export type AssignmentDecision =
  | { readonly accept: true }
  | { readonly accept: false; readonly errorcode: ErrorCode; readonly message: string };

const reject = (errorcode: ErrorCode, message: string): AssignmentDecision => ({ accept: false, errorcode, message });

/** Whether a machine pause is in force at `now` (a pause with a past `until` is over). */
export function isPaused(schedule: Pick<MachineSchedule, 'paused' | 'pausedUntil' | 'now'>): boolean {
  if (!schedule.paused) return false;
  return schedule.pausedUntil === undefined || schedule.pausedUntil.getTime() > schedule.now.getTime();
}

/** Whether the unacked upstream events reached the cap (running sessions keep logging; new work is refused). */
export function isOutboxFull(schedule: Pick<MachineSchedule, 'outbox'>): boolean {
  return schedule.outbox !== undefined && schedule.outbox.pending >= schedule.outbox.cap;
}

/** Accept or reject an assignment. Pure: the caller records the assignment and answers. */
export function decideAssignment(schedule: MachineSchedule, assign: Static<typeof Assign>, canRunAs: CanRunAs): AssignmentDecision {
  const session = assign.session;
  if (schedule.draining) return reject(ErrorCode.AgentDraining, 'the agent is draining and takes no new work');
  if (isPaused(schedule)) {
    const until = schedule.pausedUntil ? ` until ${schedule.pausedUntil.toISOString()}` : '';
    return reject(ErrorCode.AgentPaused, `the agent is paused${until}`);
  }
  if (!schedule.storageOk) return reject(ErrorCode.StorageUnavailable, schedule.storageProblem ?? 'the agent cannot write to its data dir');
  if (isOutboxFull(schedule)) {
    const { pending, cap } = schedule.outbox!;
    return reject(ErrorCode.OutboxFull, `${pending} event(s) wait to be sent to the orchestrator (cap ${cap}); no new work until they are`);
  }
  if (session.runmode === RunMode.v.Local) return reject(ErrorCode.RunModeUnsupported, 'Local sessions are started on the machine, never assigned');
  if (schedule.occupied >= schedule.capacity) {
    return reject(ErrorCode.NoFreeSlot, `all ${schedule.capacity} slot(s) are taken`);
  }
  if (session.runmode === RunMode.v.Unattended && schedule.unattendedProblem !== undefined) return reject(ErrorCode.DisplayUnavailable, schedule.unattendedProblem);
  return decideUser(schedule, session, canRunAs);
}

/** Whether the session's user can run here: the shared rule (as the queue applies it), then whether the OS allows it. */
function decideUser(schedule: MachineSchedule, session: Static<typeof Assign>['session'], canRunAs: CanRunAs): AssignmentDecision {
  const machine = { sessionUsers: schedule.sessionUsers, agentUser: schedule.agentUser, attendedUser: schedule.attendedMode ? schedule.signedInUser : undefined };
  const choice = chooseRunAs(session.sessionusername, session.runmode, machine);
  if (!choice.ok) return reject(ErrorCode[choice.reason], choice.message);
  if (session.runmode !== RunMode.v.Unattended || choice.user === undefined) return { accept: true };
  const can = canRunAs(choice.user);
  if (!can.ok) return reject(ErrorCode.SessionUserUnavailable, `cannot run as ${choice.user}: ${can.reason}`);
  return { accept: true };
}
