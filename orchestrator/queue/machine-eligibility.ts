import { MachineGroupState, MachineState, RunMode } from '../../shared/option-sets.js';
import type { AgentState } from '../../shared/protocol.js';
import { QueueReason } from '../../shared/error-codes.js';
import { chooseRunAs } from '../../shared/session-user-rule.js';

/** A waiting, unassigned session as the planner sees it. */
export interface SessionView {
  readonly id: string;
  readonly priority: number;
  readonly createdon: string;
  readonly scheduledfor: string | null;
  readonly groupId: string | null;
  readonly targetMachineId: string | null;
  readonly runmode: number;
  readonly sessionusername: string | null;
  /** A later attempt of a retried session: held until `scheduledfor` as RetryScheduled. */
  readonly retry?: boolean;
  /** Arrival order in the queue: breaks ties between sessions created in the same millisecond. */
  readonly arrival?: number;
}

/** What the queue needs of a machine's stored record (the live part comes from the gateway). */
export interface MachineRecord {
  readonly id: string;
  readonly groupId: string | null;
  /** flowmachine statecode (MachineState). */
  readonly statecode: number;
  readonly groupStatecode: number;
  /** 0 FIFO, 1 priority then FIFO. */
  readonly groupQueuingType: number;
  readonly sessioncapacity: number;
}

export interface MachineView extends MachineRecord {
  /** Sessions offered to or owned by the machine that are not terminal. */
  readonly assigned: number;
  /** Live state of a connected machine that said hello; undefined when offline. */
  readonly live: AgentState | undefined;
}

/** What planning picked for a session: a machine, or why none. */
export type Choice = { machine: MachineView; reason?: undefined } | { machine?: undefined; reason: QueueReason };

/** How far a machine got towards taking a session; a higher rank is a more useful reason to show. */
export const RANK: Record<QueueReason, number> = {
  GroupIsEmpty: 0,
  Scheduled: 0,
  RetryScheduled: 0,
  NoMachineConnected: 1,
  MachineInMaintenance: 2,
  MachinesPausedOrDraining: 3,
  AttendedUserNotSignedIn: 4,
  SessionUserUnavailable: 4,
  FeatureUnsupported: 4,
  DisplayUnavailable: 4,
  WaitingForConfirmation: 5,
  AllMachinesBusy: 6,
  HigherPriorityFirst: 7,
};

/** Why `m` cannot run `s` apart from slots, or undefined when it can. */
export function machineBlocker(s: SessionView, m: MachineView, now: Date): QueueReason | undefined {
  const live = m.live;
  if (!live) return QueueReason.NoMachineConnected;
  if (m.statecode !== MachineState.v.Active || m.groupStatecode === MachineGroupState.v.Maintenance) return QueueReason.MachineInMaintenance;
  const pauseOver = live.pausedUntil !== undefined && Date.parse(live.pausedUntil) <= now.getTime();
  if ((live.paused && !pauseOver) || live.draining || !live.storageOk) return QueueReason.MachinesPausedOrDraining;
  // The agent's rule on the users it advertises: names compare exactly, and its list names its own user when none is configured.
  const choice = chooseRunAs(s.sessionusername, s.runmode, { sessionUsers: live.sessionUsers, attendedUser: live.attendedAvailable ? live.signedInUser : undefined });
  if (!choice.ok) return QueueReason[choice.reason];
  return runModeBlocker(s.runmode, live);
}

/** What the machine said of the session's run mode (`run-modes`); an agent that says nothing is taken at its word above. */
function runModeBlocker(runmode: number, live: AgentState): QueueReason | undefined {
  const modes = live.runModes;
  const mode = runmode === RunMode.v.Attended ? modes?.attended : runmode === RunMode.v.Unattended ? modes?.unattended : undefined;
  if (!mode || mode.available) return undefined;
  return QueueReason[mode.reason ?? 'DisplayUnavailable'];
}

export const freeSlots = (m: MachineView): number => Math.max(0, Math.min(m.sessioncapacity, m.live?.capacity ?? 0) - m.assigned);

/** Free slots of the machines during one plan: taken one by one, read lazily (a plan touches few machines). */
export class Slots {
  private readonly taken = new Map<string, number>();

  of(m: MachineView): number {
    return this.taken.get(m.id) ?? freeSlots(m);
  }

  take(m: MachineView): void {
    this.taken.set(m.id, this.of(m) - 1);
  }
}

/**
 * Why a session waits for a slot: HigherPriorityFirst while sessions ahead of it want the same machines, AllMachinesBusy
 * at the head of the line. It depends on the queue's order only, not on whether a slot was free when the plan started,
 * so a backlog's reasons stay put while its machines take one session after another.
 */
export const slotsTakenReason = (queued: boolean): QueueReason => (queued ? QueueReason.HigherPriorityFirst : QueueReason.AllMachinesBusy);

/** Why a machine that is otherwise fit has no slot for a session in this plan, or undefined when it has one. */
export function slotReason(m: MachineView, slots: Slots, queued: boolean): QueueReason | undefined {
  return slots.of(m) > 0 ? undefined : slotsTakenReason(queued);
}
