import { QueuingType, RunMode } from '../../shared/option-sets.js';
import { QueueReason } from '../../shared/error-codes.js';
import { GroupPool, isPlain } from './group-pool.js';
import { RANK, Slots, machineBlocker, slotReason, type Choice, type MachineView, type SessionView } from './machine-eligibility.js';
import { isGroupPartition, machineOfPartition, partitionOf } from './partitions.js';

export { freeSlots, machineBlocker, type MachineView, type SessionView } from './machine-eligibility.js';

/** The machines by id and by group (in `machines` order). */
export interface MachineIndex {
  readonly byId: ReadonlyMap<string, MachineView>;
  readonly byGroup: ReadonlyMap<string, readonly MachineView[]>;
}

export interface PlanInput {
  /** Waiting sessions in lines, one per partition in queue order, as the queue keeps them. */
  readonly lines?: readonly PlanLine[];
  /** Or loose: grouped into lines and ordered here (each line walked in full). */
  readonly sessions?: readonly SessionView[];
  /** The machines, loose (indexed here) or already indexed (the queue keeps an index between passes). */
  readonly machines: readonly MachineView[] | MachineIndex;
  readonly now: Date;
  /** Why this machine must not get this session now (e.g. it rejected it a moment ago), if so. */
  readonly cooldown: (sessionId: string, machineId: string) => QueueReason | undefined;
  /** Whether `cooldown` may answer anything for this session; when absent, it is asked for every candidate. */
  readonly hasCooldown?: (sessionId: string) => boolean;
}

/** The waiting sessions of one partition (`key`, see partitions.ts), in queue order. */
export interface PlanLine {
  readonly key: string;
  readonly sessions: readonly SessionView[];
  /**
   * What the line's owner knows of the stored reasons, so the walk can stop early: once no machine of the partition
   * can take another session, every uniform session left (see `isUniform`) gets one same reason; if that is `reason`,
   * only `exceptions` are looked at further. `exceptions` must hold every session of the line that is not uniform or
   * whose stored reason is not `reason`.
   */
  readonly settled?: { readonly reason: string | null; readonly exceptions: Iterable<SessionView> };
}

export interface Plan {
  readonly assign: { sessionId: string; machineId: string }[];
  /** Reasons of the sessions looked at; a session the walk skipped keeps its stored reason. */
  readonly reasons: Map<string, QueueReason>;
  /** Per line that got that far: the reason every uniform session past the settle point gets. */
  readonly settled: Map<string, QueueReason>;
  /** Sessions looked at (a pass's cost: it does not grow with a settled backlog). */
  visited: number;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Queue order: priority desc (except in FIFO groups), then createdon, then arrival, then id. Plain code-unit
 * comparison: createdon is one ISO format.
 */
export const compareQueueOrder = (a: SessionView, b: SessionView, fifo: boolean): number =>
  (fifo ? 0 : b.priority - a.priority) || compareText(a.createdon, b.createdon) || (a.arrival ?? 0) - (b.arrival ?? 0) || compareText(a.id, b.id);

/**
 * A session that sees the machines of its partition as every plain session does (no user requirement, no cooldown,
 * no schedule, not targeted at one machine of a group): once the partition is full, all of them wait for one reason.
 */
export const isUniform = (s: SessionView, cooling: boolean, targetInGroup: boolean): boolean =>
  s.runmode !== RunMode.v.Local && !s.scheduledfor && isPlain(s) && !cooling && !targetInGroup;

/**
 * Decides which waiting sessions go to which machines now, and why the others wait. Pure.
 * Each session goes to the eligible candidate with the most free slots (the first of them in `machines` order).
 */
export function planDispatch(input: PlanInput): Plan {
  const index = 'byId' in input.machines ? input.machines : indexMachines(input.machines);
  const walk = new PlanWalk(input, index);
  for (const line of input.lines ?? linesOf(input.sessions ?? [], index)) walk.line(line);
  return walk.plan;
}

/** Whether the sessions of a partition ignore priority (a FIFO group). */
export function isFifo(key: string, index: MachineIndex): boolean {
  return machinesOf(key, index)[0]?.groupQueuingType === QueuingType.v.FIFO;
}

function machinesOf(key: string, { byId, byGroup }: MachineIndex): readonly MachineView[] {
  if (isGroupPartition(key)) return byGroup.get(key) ?? [];
  const machineId = machineOfPartition(key);
  const m = machineId === undefined ? undefined : byId.get(machineId);
  return m ? [m] : [];
}

/** Loose sessions grouped by partition, each line in queue order, walked in full. */
function linesOf(sessions: readonly SessionView[], index: MachineIndex): PlanLine[] {
  const lines = new Map<string, SessionView[]>();
  for (const s of sessions) {
    const key = partitionOf(s, index.byId);
    const line = lines.get(key);
    if (line) line.push(s);
    else lines.set(key, [s]);
  }
  return [...lines].map(([key, list]) => ({ key, sessions: list.sort((a, b) => compareQueueOrder(a, b, isFifo(key, index))) }));
}

/** One plan's walk over the lines: the slots taken so far, the pools, and who already wanted a slot. */
class PlanWalk {
  readonly plan: Plan = { assign: [], reasons: new Map(), settled: new Map(), visited: 0 };
  private readonly slots = new Slots();
  private readonly pools = new Map<string, GroupPool>();
  /** Partitions where a session earlier in this plan wanted a slot. */
  private readonly wanted = new Set<string>();

  constructor(
    private readonly input: PlanInput,
    private readonly index: MachineIndex,
  ) {}

  line(line: PlanLine): void {
    const skip = line.settled;
    const seen = new Set<string>();
    let settling = skip !== undefined;
    for (const s of line.sessions) {
      if (settling) {
        const reason = this.settledReason(line.key);
        if (reason !== undefined) {
          this.plan.settled.set(line.key, reason);
          settling = false;
          if (reason === skip!.reason) {
            for (const e of skip!.exceptions) if (!seen.has(e.id)) this.session(e);
            return;
          }
        } else seen.add(s.id);
      }
      this.session(s);
    }
    const reason = this.settledReason(line.key);
    if (reason !== undefined) this.plan.settled.set(line.key, reason);
  }

  /** The reason every further uniform session of the partition gets, once none can get a machine; else undefined. */
  private settledReason(key: string): QueueReason | undefined {
    return this.poolOf(key).settledReason(this.wanted.has(key));
  }

  private poolOf(key: string): GroupPool {
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new GroupPool(machinesOf(key, this.index), this.slots, this.input.now)));
    return pool;
  }

  private session(s: SessionView): void {
    this.plan.visited++;
    if (s.runmode === RunMode.v.Local) return;
    const { now } = this.input;
    if (s.scheduledfor && Date.parse(s.scheduledfor) > now.getTime()) {
      this.plan.reasons.set(s.id, s.retry ? QueueReason.RetryScheduled : QueueReason.Scheduled);
      return;
    }
    const { byId } = this.index;
    const key = partitionOf(s, byId);
    const queued = this.wanted.has(key);
    const target = s.targetMachineId ? byId.get(s.targetMachineId) : undefined;
    const pooled = isPlain(s) && !target?.groupId && !(this.input.hasCooldown?.(s.id) ?? true);
    const choice = pooled ? this.poolOf(key).choose(queued) : chooseAmong(s, s.targetMachineId ? (target ? [target] : []) : machinesOf(key, this.index), this.slots, this.input, queued);
    if (choice.machine) {
      this.plan.assign.push({ sessionId: s.id, machineId: choice.machine.id });
      this.slots.take(choice.machine);
      this.wanted.add(key);
    } else {
      this.plan.reasons.set(s.id, choice.reason);
      if (choice.reason === QueueReason.AllMachinesBusy || choice.reason === QueueReason.HigherPriorityFirst) this.wanted.add(key);
    }
  }
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
