import { MachineGroupState, MachineState, QueuingType } from '../../shared/option-sets.js';
import type { FlowMachineGroup } from '../../shared/records/index.js';
import type { MachineRecord as StoredMachine, Store } from '../store/store.js';
import type { MachineRecord } from './machine-eligibility.js';
import { machinePartition, type MachinesById } from './partitions.js';

/**
 * The stored side of every machine, kept in memory so a dispatch reads no machine rows. Loaded at start, refreshed
 * per machine when it registers, when the API changes it, and when it connects.
 */
export class MachineDirectory implements MachinesById {
  private readonly byId = new Map<string, MachineRecord>();
  /** Machines of each partition, ordered by id (the order the planner breaks ties in). */
  private byPartition = new Map<string, MachineRecord[]>();
  /** Bumped on every change, so derived caches know when to rebuild. */
  version = 0;

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    const [groupRows, machines] = await Promise.all([this.store.groups.all(), this.store.machines.all()]);
    const groups = new Map(groupRows.map((g) => [g.flowmachinegroupid, g]));
    this.byId.clear();
    for (const m of machines) {
      const record = toRecord(m, m._flowmachinegroupid_value === null ? undefined : groups.get(m._flowmachinegroupid_value));
      this.byId.set(record.id, record);
    }
    this.index();
    this.version++;
  }

  /** Re-reads one machine (and its group); returns the partitions it left or joined. */
  async refresh(machineId: string): Promise<string[]> {
    const row = await this.store.machines.get(machineId);
    const groupId = row?._flowmachinegroupid_value ?? null;
    const after = row ? toRecord(row, groupId ? await this.store.groups.get(groupId) : undefined) : undefined;
    // Read after the store answered: what is filed now is what this refresh replaces.
    const before = this.byId.get(machineId);
    if (!before && !after) return [];
    if (before && after && sameRecord(before, after)) return [machinePartition(after)];
    if (before) this.unfile(before);
    if (after) {
      this.byId.set(machineId, after);
      this.file(after);
    } else this.byId.delete(machineId);
    this.version++;
    return [...new Set([before, after].filter((m): m is MachineRecord => m !== undefined).map(machinePartition))];
  }

  /**
   * Re-reads the groups (few rows) and files their state and queuing type into their machines' records; a full
   * dispatch calls it so a group change is seen even when nobody reported it.
   */
  async syncGroups(): Promise<void> {
    for (const g of await this.store.groups.all()) {
      const list = this.byPartition.get(g.flowmachinegroupid);
      const statecode = g.statecode ?? MachineGroupState.v.Active;
      const queuingType = g.preferredqueuingtype ?? QueuingType.v.ExtendedQueuePrioritization;
      if (!list || (list[0]!.groupStatecode === statecode && list[0]!.groupQueuingType === queuingType)) continue;
      list.forEach((m, i) => {
        const record = { ...m, groupStatecode: statecode, groupQueuingType: queuingType };
        list[i] = record;
        this.byId.set(m.id, record);
      });
      this.version++;
    }
  }

  /** Every machine, partition by partition, each in id order. */
  all(): MachineRecord[] {
    return [...this.byPartition.values()].flat();
  }

  has(machineId: string): boolean {
    return this.byId.has(machineId);
  }

  get(machineId: string): MachineRecord | undefined {
    return this.byId.get(machineId);
  }

  /** The queuing type of a partition's group (QueuingType; priority then FIFO for a machine without a group). */
  queuingTypeOf(partition: string): number {
    return this.byPartition.get(partition)?.[0]?.groupQueuingType ?? QueuingType.v.ExtendedQueuePrioritization;
  }

  private index(): void {
    this.byPartition = new Map();
    for (const m of [...this.byId.values()].sort((a, b) => compareIds(a.id, b.id))) this.listOf(machinePartition(m)).push(m);
  }

  private listOf(partition: string): MachineRecord[] {
    let list = this.byPartition.get(partition);
    if (!list) this.byPartition.set(partition, (list = []));
    return list;
  }

  private file(m: MachineRecord): void {
    const list = this.listOf(machinePartition(m));
    list.splice(lowerBound(list, m.id), 0, m);
  }

  private unfile(m: MachineRecord): void {
    const key = machinePartition(m);
    const list = this.listOf(key);
    const at = lowerBound(list, m.id);
    if (list[at]?.id === m.id) list.splice(at, 1);
    if (list.length === 0) this.byPartition.delete(key);
  }
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** First position in `list` (ordered by id) whose id is not below `id`. */
function lowerBound(list: readonly MachineRecord[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sameRecord = (a: MachineRecord, b: MachineRecord): boolean =>
  a.groupId === b.groupId && a.statecode === b.statecode && a.groupStatecode === b.groupStatecode && a.groupQueuingType === b.groupQueuingType && a.sessioncapacity === b.sessioncapacity;

function toRecord(m: StoredMachine, g: FlowMachineGroup | undefined): MachineRecord {
  return {
    id: m.flowmachineid,
    groupId: m._flowmachinegroupid_value,
    statecode: m.statecode ?? MachineState.v.Active,
    groupStatecode: g?.statecode ?? MachineGroupState.v.Active,
    groupQueuingType: g?.preferredqueuingtype ?? QueuingType.v.ExtendedQueuePrioritization,
    sessioncapacity: m.sessioncapacity ?? 1,
  };
}
