import type { AgentState } from '../../shared/protocol.js';
import type { AssignmentBook } from './assignment-book.js';
import { indexMachines, type MachineIndex } from './dispatch-plan.js';
import type { MachineDirectory } from './machine-directory.js';
import type { MachineRecord } from './machine-eligibility.js';
import type { MachineView } from './machine-eligibility.js';

/**
 * A machine as the planner sees it, read when asked: its stored record, its live state from the gateway and its
 * assignment count from the book. Kept between dispatches, so a plan that looks at a few machines of a big group
 * costs a few lookups, not one copy per machine.
 */
export class LiveMachineView implements MachineView {
  constructor(
    private readonly record: MachineRecord,
    private readonly book: AssignmentBook,
    private readonly links: { live(machineId: string): AgentState | undefined },
  ) {}

  get id(): string {
    return this.record.id;
  }
  get groupId(): string | null {
    return this.record.groupId;
  }
  get statecode(): number {
    return this.record.statecode;
  }
  get groupStatecode(): number {
    return this.record.groupStatecode;
  }
  get groupQueuingType(): number {
    return this.record.groupQueuingType;
  }
  get sessioncapacity(): number {
    return this.record.sessioncapacity;
  }
  get assigned(): number {
    return this.book.countOf(this.record.id);
  }
  get live(): AgentState | undefined {
    return this.links.live(this.record.id);
  }
}

/** Planner views of every machine of the directory, indexed; rebuilt only when the directory changed. */
export class PlannerIndex {
  private index: MachineIndex | undefined;
  private version = -1;

  constructor(
    private readonly machines: MachineDirectory,
    private readonly book: AssignmentBook,
    private readonly links: { live(machineId: string): AgentState | undefined },
  ) {}

  current(): MachineIndex {
    if (!this.index || this.version !== this.machines.version) {
      this.index = indexMachines(this.machines.all().map((m) => new LiveMachineView(m, this.book, this.links)));
      this.version = this.machines.version;
    }
    return this.index;
  }
}
