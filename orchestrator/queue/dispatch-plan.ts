import { QueueReason } from '../../shared/error-codes.js';
import { GroupPool, isPlain } from './group-pool.js';
import { RANK, Slots, machineBlocker, slotReason, type Choice, type MachineView, type SessionView } from './machine-eligibility.js';

export { freeSlots, machineBlocker, type MachineView, type SessionView } from './machine-eligibility.js';

/** The machines by id and by group (in `machines` order). */
export interface MachineIndex {
  readonly byId: ReadonlyMap<string, MachineView>;
  readonly byGroup: ReadonlyMap<string, readonly MachineView[]>;
}

export interface PlanInput {
  readonly sessions: readonly SessionView[];
  /** Ignored when `index` is given. */
  readonly machines: readonly MachineView[];
  /** The machines already indexed (the queue keeps one between passes). */
  readonly index?: MachineIndex;
  readonly now: Date;
  /** Why this machine must not get this session now (e.g. it rejected it a moment ago), if so. */
  readonly cooldown: (sessionId: string, machineId: string) => QueueReason | undefined;
  /** Whether `cooldown` may answer anything for this session; when absent, it is asked for every candidate. */
  readonly hasCooldown?: (sessionId: string) => boolean;
}

export interface Plan {
  readonly assign: { sessionId: string; machineId: string }[];
  readonly reasons: Map<string, QueueReason>;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Queue order: priority desc (except in FIFO groups), then createdon, then arrival, then id. Plain code-unit
 * comparison: createdon is one ISO format, and a pass sorts every waiting session of its partitions (mostly in order
 * already, which the sort finishes in one run).
 */
export function orderSessions(sessions: readonly SessionView[], queuingTypeOf: (s: SessionView) => number): SessionView[] {
  const keyed = sessions.map((s) => ({ s, eff: queuingTypeOf(s) === 0 ? 0 : s.priority }));
  keyed.sort((a, b) => b.eff - a.eff || compareText(a.s.createdon, b.s.createdon) || (a.s.arrival ?? 0) - (b.s.arrival ?? 0) || compareText(a.s.id, b.s.id));
  return keyed.map((k) => k.s);
}

/**
 * Decides which waiting sessions go to which machines now, and why the others wait. Pure.
 * Each session goes to the eligible candidate with the most free slots (the first of them in `machines` order).
 */
export function planDispatch(input: PlanInput): Plan {
  const { now } = input;
  const { byId, byGroup } = input.index ?? indexMachines(input.machines);
  const slots = new Slots();
  const queuingTypeOf = (s: SessionView) => {
    const m = s.targetMachineId ? byId.get(s.targetMachineId) : s.groupId !== null ? byGroup.get(s.groupId)?.[0] : undefined;
    return m?.groupQueuingType ?? 1;
  };
  const pools = new Map<string, GroupPool>();
  const poolOf = (groupId: string) => {
    let pool = pools.get(groupId);
    if (!pool) pools.set(groupId, (pool = new GroupPool(byGroup.get(groupId) ?? [], slots, now)));
    return pool;
  };
  const plan: Plan = { assign: [], reasons: new Map() };
  /** Groups (or lone target machines) where a session earlier in this plan wanted a slot. */
  const wanted = new Set<string | null>();
  for (const s of orderSessions(input.sessions, queuingTypeOf)) {
    if (s.runmode === 0) continue;
    if (s.scheduledfor && Date.parse(s.scheduledfor) > now.getTime()) {
      plan.reasons.set(s.id, QueueReason.Scheduled);
      continue;
    }
    const target = s.targetMachineId ? byId.get(s.targetMachineId) : undefined;
    const competition = s.targetMachineId ? (target?.groupId ?? s.targetMachineId) : s.groupId;
    const queued = wanted.has(competition);
    const choice =
      !s.targetMachineId && s.groupId !== null && isPlain(s) && !(input.hasCooldown?.(s.id) ?? true)
        ? poolOf(s.groupId).choose(queued)
        : chooseAmong(s, s.targetMachineId ? (target ? [target] : []) : s.groupId !== null ? (byGroup.get(s.groupId) ?? []) : [], slots, input, queued);
    if (choice.machine) {
      plan.assign.push({ sessionId: s.id, machineId: choice.machine.id });
      slots.take(choice.machine);
      wanted.add(competition);
    } else {
      plan.reasons.set(s.id, choice.reason);
      if (choice.reason === QueueReason.AllMachinesBusy || choice.reason === QueueReason.HigherPriorityFirst) wanted.add(competition);
    }
  }
  return plan;
}

/** Only plain fields are read: indexing must not cost a live-state lookup per machine of a big group. */
export function indexMachines(machines: readonly MachineView[]): MachineIndex {
  const byId = new Map<string, MachineView>();
  const byGroup = new Map<string, MachineView[]>();
  for (const m of machines) {
    byId.set(m.id, m);
    if (m.groupId === null) continue;
    const list = byGroup.get(m.groupId);
    if (list) list.push(m);
    else byGroup.set(m.groupId, [m]);
  }
  return { byId, byGroup };
}


/** The general rule: every candidate is asked (user requirements and cooldowns differ per session). */
function chooseAmong(s: SessionView, candidates: readonly MachineView[], slots: Slots, input: PlanInput, queued: boolean): Choice {
  let best: QueueReason = QueueReason.GroupIsEmpty;
  let chosen: MachineView | undefined;
  for (const m of candidates) {
    const reason = machineBlocker(s, m, input.now) ?? input.cooldown(s.id, m.id) ?? slotReason(m, slots, queued);
    if (reason === undefined) {
      if (!chosen || slots.of(m) > slots.of(chosen)) chosen = m;
    } else if (RANK[reason] > RANK[best]) best = reason;
  }
  return chosen ? { machine: chosen } : { reason: best };
}
