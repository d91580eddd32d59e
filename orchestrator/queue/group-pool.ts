import { RunMode } from '../../shared/option-sets.js';
import { QueueReason } from '../../shared/error-codes.js';
import { RANK, machineBlocker, slotsTakenReason, type Choice, type MachineView, type SessionView, type Slots } from './machine-eligibility.js';

/** A session without user or attended requirements: only machine-level state decides where it can run. */
export const isPlain = (s: SessionView): boolean => s.runmode !== RunMode.v.Attended && !s.sessionusername;

const PLAIN: SessionView = { id: '', priority: 0, createdon: '', scheduledfor: null, groupId: null, targetMachineId: null, runmode: RunMode.v.Unattended, sessionusername: null };

interface Entry {
  readonly slots: number;
  readonly index: number;
  readonly m: MachineView;
}

/**
 * The machines of one partition (a group, or one machine without a group) as plain sessions (no user requirement,
 * no cooldown) see them: the same for every such session. Gives the answer of asking every machine (the open machine with the most free slots, the first of them
 * in order) without looking at every machine of a big group:
 * - no machine can have more free slots than the group's largest capacity, so the first open machine with that
 *   many is the answer, found by a scan that resumes where the last one stopped (slots only go down in a plan);
 * - only when no machine reaches that bound, a heap of the open machines by free slots is built;
 * - the reason for a session that gets none is worked out once, over every machine.
 */
export class GroupPool {
  private readonly bound: number;
  private cursor = 0;
  private heap: Entry[] | undefined;
  private blocked: QueueReason | undefined | null;

  constructor(
    private readonly machines: readonly MachineView[],
    private readonly slots: Slots,
    private readonly now: Date,
  ) {
    this.bound = machines.reduce((max, m) => Math.max(max, m.sessioncapacity), 0);
  }

  /** `queued`: a session ahead of this one in the plan also wanted a slot of these machines. */
  choose(queued: boolean): Choice {
    if (!this.heap && this.bound > 0) {
      for (; this.cursor < this.machines.length; this.cursor++) {
        const m = this.machines[this.cursor]!;
        if (this.slots.of(m) === this.bound && this.open(m)) return { machine: m };
      }
      this.heap = this.buildHeap();
    }
    const heap = this.heap ?? [];
    for (;;) {
      const top = heap[0];
      if (!top) return { reason: this.reasonWhenFull() ?? slotsTakenReason(queued) };
      const current = this.slots.of(top.m);
      if (current === top.slots) return { machine: top.m };
      // Another session took a slot of this machine since it was pushed: re-file it.
      pop(heap);
      if (current > 0) push(heap, { ...top, slots: current });
    }
  }

  /**
   * Once no open machine has a slot left, the reason every further plain session gets: why none is open, or
   * HigherPriorityFirst once a session of this plan wanted a slot (`queued`). Undefined before that.
   */
  settledReason(queued: boolean): QueueReason | undefined {
    if (this.choose(queued).machine) return undefined;
    return this.reasonWhenFull() ?? (queued ? QueueReason.HigherPriorityFirst : undefined);
  }

  private open(m: MachineView): boolean {
    return machineBlocker(PLAIN, m, this.now) === undefined;
  }

  private buildHeap(): Entry[] {
    const heap: Entry[] = [];
    this.machines.forEach((m, index) => {
      const free = this.slots.of(m);
      if (free > 0 && this.open(m)) push(heap, { slots: free, index, m });
    });
    return heap;
  }

  /** With no open machine left with a slot: why no machine is open, or undefined when some are (and full). Worked out once. */
  private reasonWhenFull(): QueueReason | undefined {
    if (this.blocked !== undefined) return this.blocked ?? undefined;
    let blocked: QueueReason = QueueReason.GroupIsEmpty;
    for (const m of this.machines) {
      const reason = machineBlocker(PLAIN, m, this.now);
      if (reason === undefined) {
        this.blocked = null;
        return undefined;
      }
      if (RANK[reason] > RANK[blocked]) blocked = reason;
    }
    return (this.blocked = blocked);
  }
}

const before = (a: Entry, b: Entry): boolean => a.slots > b.slots || (a.slots === b.slots && a.index < b.index);

function push(h: Entry[], e: Entry): void {
  h.push(e);
  for (let i = h.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (!before(h[i]!, h[parent]!)) break;
    [h[i], h[parent]] = [h[parent]!, h[i]!];
    i = parent;
  }
}

function pop(h: Entry[]): void {
  const last = h.pop()!;
  if (h.length === 0) return;
  h[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && before(h[l]!, h[m]!)) m = l;
    if (r < h.length && before(h[r]!, h[m]!)) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m]!, h[i]!];
    i = m;
  }
}
