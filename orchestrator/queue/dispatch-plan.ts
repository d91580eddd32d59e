import type { AgentState } from '../../shared/protocol.js';
import { QueueReason } from '../../shared/error-codes.js';

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
}

export interface MachineView {
  readonly id: string;
  readonly groupId: string | null;
  /** flowmachine statecode: 0 Active, 1 Inactive, 2 Maintenance. */
  readonly statecode: number;
  readonly groupStatecode: number;
  /** 0 FIFO, 1 priority then FIFO. */
  readonly groupQueuingType: number;
  readonly sessioncapacity: number;
  /** Sessions offered to or owned by the machine that are not terminal. */
  readonly assigned: number;
  /** Live state of a connected machine that said hello; undefined when offline. */
  readonly live: AgentState | undefined;
}

export interface PlanInput {
  readonly sessions: readonly SessionView[];
  readonly machines: readonly MachineView[];
  readonly now: Date;
  /** Why this machine must not get this session now (e.g. it rejected it a moment ago), if so. */
  readonly cooldown: (sessionId: string, machineId: string) => QueueReason | undefined;
}

export interface Plan {
  readonly assign: { sessionId: string; machineId: string }[];
  readonly reasons: Map<string, QueueReason>;
}

/** How far a machine got towards taking a session; a higher rank is a more useful reason to show. */
const RANK: Record<QueueReason, number> = {
  GroupIsEmpty: 0,
  Scheduled: 0,
  NoMachineConnected: 1,
  MachineInMaintenance: 2,
  MachinesPausedOrDraining: 3,
  AttendedUserNotSignedIn: 4,
  SessionUserUnavailable: 4,
  WaitingForConfirmation: 5,
  AllMachinesBusy: 6,
  HigherPriorityFirst: 7,
};

/** Why `m` cannot run `s` apart from slots, or undefined when it can. */
export function machineBlocker(s: SessionView, m: MachineView, now: Date): QueueReason | undefined {
  const live = m.live;
  if (!live) return QueueReason.NoMachineConnected;
  if (m.statecode !== 0 || m.groupStatecode === 2) return QueueReason.MachineInMaintenance;
  const pauseOver = live.pausedUntil !== undefined && Date.parse(live.pausedUntil) <= now.getTime();
  if ((live.paused && !pauseOver) || live.draining || !live.storageOk) return QueueReason.MachinesPausedOrDraining;
  if (s.runmode === 1) {
    if (!live.attendedAvailable || !live.signedInUser) return QueueReason.AttendedUserNotSignedIn;
    if (s.sessionusername && live.signedInUser.toLowerCase() !== s.sessionusername.toLowerCase()) return QueueReason.AttendedUserNotSignedIn;
  } else if (s.sessionusername && !live.sessionUsers.some((u) => u.toLowerCase() === s.sessionusername!.toLowerCase())) {
    return QueueReason.SessionUserUnavailable;
  }
  return undefined;
}

export const freeSlots = (m: MachineView): number => Math.max(0, Math.min(m.sessioncapacity, m.live?.capacity ?? 0) - m.assigned);

/** Queue order: priority desc (except in FIFO groups), then createdon, then id. */
export function orderSessions(sessions: readonly SessionView[], queuingTypeOf: (s: SessionView) => number): SessionView[] {
  const eff = (s: SessionView) => (queuingTypeOf(s) === 0 ? 0 : s.priority);
  return [...sessions].sort((a, b) => eff(b) - eff(a) || a.createdon.localeCompare(b.createdon) || a.id.localeCompare(b.id));
}

/** Decides which waiting sessions go to which machines now, and why the others wait. Pure. */
export function planDispatch(input: PlanInput): Plan {
  const { now } = input;
  const byId = new Map(input.machines.map((m) => [m.id, m]));
  const slots = new Map(input.machines.map((m) => [m.id, freeSlots(m)]));
  const queuingTypeOf = (s: SessionView) => {
    const m = s.targetMachineId ? byId.get(s.targetMachineId) : input.machines.find((x) => x.groupId === s.groupId);
    return m?.groupQueuingType ?? 1;
  };
  const plan: Plan = { assign: [], reasons: new Map() };
  for (const s of orderSessions(input.sessions, queuingTypeOf)) {
    if (s.runmode === 0) continue;
    if (s.scheduledfor && Date.parse(s.scheduledfor) > now.getTime()) {
      plan.reasons.set(s.id, QueueReason.Scheduled);
      continue;
    }
    const candidates = s.targetMachineId
      ? [byId.get(s.targetMachineId)].filter((m): m is MachineView => m !== undefined)
      : input.machines.filter((m) => m.groupId !== null && m.groupId === s.groupId);
    let best: QueueReason = QueueReason.GroupIsEmpty;
    let chosen: MachineView | undefined;
    for (const m of candidates) {
      const reason = machineBlocker(s, m, now) ?? input.cooldown(s.id, m.id) ?? slotReason(m, slots);
      if (reason === undefined) {
        if (!chosen || slots.get(m.id)! > slots.get(chosen.id)!) chosen = m;
      } else if (RANK[reason] > RANK[best]) best = reason;
    }
    if (chosen) {
      plan.assign.push({ sessionId: s.id, machineId: chosen.id });
      slots.set(chosen.id, slots.get(chosen.id)! - 1);
    } else plan.reasons.set(s.id, best);
  }
  return plan;
}

function slotReason(m: MachineView, slots: Map<string, number>): QueueReason | undefined {
  if (slots.get(m.id)! > 0) return undefined;
  return freeSlots(m) > 0 ? QueueReason.HigherPriorityFirst : QueueReason.AllMachinesBusy;
}
