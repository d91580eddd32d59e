import { RunMode, SessionState, SessionStatus } from '../../shared/option-sets.js';
import { DEFAULT_QUEUE_TIMEOUT_S, type FlowSession } from '../../shared/records/index.js';
import type { SessionRecord, Store } from '../store/store.js';
import type { SessionView } from './dispatch-plan.js';
import { DeadlineHeap } from './deadline-heap.js';
import { QueueLine, type LineEntry } from './queue-line.js';

/** A session that waits for a machine and has no offer: what the planner needs, its stored reason, its deadline. */
export interface WaitingSession extends LineEntry {
  /** The queue reason as stored, so only changes are written (changed through `setReason`). */
  readonly reason: string | null;
  /** Queue timeout (ms since epoch). */
  readonly deadline: number;
  /** The partition (line) it is filed in. */
  readonly partition: string;
}

type Entry = { -readonly [K in keyof WaitingSession]: WaitingSession[K] };

export interface WaitingSessionsOptions {
  /** Where a session waits: its partition, and whether it is uniform there (`isUniform`). */
  readonly place: (view: SessionView) => { partition: string; uniform: boolean };
  /** Whether a partition orders by arrival only (a FIFO group). */
  readonly fifo: (partition: string) => boolean;
}

const isWaiting = (row: FlowSession): boolean => row.statuscode === SessionStatus.v.Waiting && (row.statecode ?? SessionState.v.Active) === SessionState.v.Active;

/** Deadline of a waiting session in the queue (ms since epoch). */
export function queueDeadline(row: SessionRecord): number {
  const created = Date.parse(row.createdon);
  const scheduled = row.scheduledfor ? Date.parse(row.scheduledfor) : created;
  return Math.max(created, scheduled) + (row.queuetimeout ?? DEFAULT_QUEUE_TIMEOUT_S) * 1000;
}

/**
 * The sessions that wait without an offer, in memory so a dispatch reads no session rows, filed in one line per
 * partition in queue order. Loaded from the store at start (the store stays the source of truth); the queue updates
 * it on every change it makes or is told about.
 */
export class WaitingSessions {
  private readonly byId = new Map<string, Entry>();
  private byPartition = new Map<string, QueueLine>();
  private arrivals = 0;
  /** Queue deadlines; entries no longer filed are dropped when due (or in bulk when they pile up). */
  private readonly deadlines = new DeadlineHeap<Entry>();

  constructor(private readonly o: WaitingSessionsOptions) {}

  get size(): number {
    return this.byId.size;
  }

  /** Every Waiting session of the store for which `offered` is false. */
  async load(store: Store, offered: (sessionId: string) => boolean): Promise<void> {
    const rows = await store.sessions.waitingInQueueOrder();
    this.byId.clear();
    for (const row of rows) {
      if (isWaiting(row) && !offered(row.flowsessionid)) this.byId.set(row.flowsessionid, this.entry(row, ++this.arrivals));
    }
    this.refile();
  }

  /** Files every session again (partitions, uniformity or queuing types changed): one sort per line. */
  refile(): void {
    this.byPartition = new Map();
    this.deadlines.retain(() => false);
    for (const e of this.byId.values()) this.deadlines.push(e.deadline, e);
    const byLine = new Map<string, Entry[]>();
    for (const e of this.byId.values()) {
      Object.assign(e, this.o.place(e.view));
      const list = byLine.get(e.partition);
      if (list) list.push(e);
      else byLine.set(e.partition, [e]);
    }
    for (const [partition, list] of byLine) this.lineOf(partition).addAll(list);
  }

  /** Files the session as its row says: waiting, or gone (not Waiting any more). */
  put(row: SessionRecord): WaitingSession | undefined {
    const id = row.flowsessionid;
    const previous = this.delete(id);
    if (!isWaiting(row)) return undefined;
    const entry = this.entry(row, previous?.view.arrival ?? ++this.arrivals);
    this.byId.set(id, entry);
    this.lineOf(entry.partition).add(entry);
    this.deadlines.push(entry.deadline, entry);
    if (this.deadlines.size > 2 * this.byId.size + 64) this.deadlines.retain((e) => this.byId.get(e.view.id) === e);
    return entry;
  }

  get(sessionId: string): WaitingSession | undefined {
    return this.byId.get(sessionId);
  }

  delete(sessionId: string): WaitingSession | undefined {
    const entry = this.byId.get(sessionId);
    if (!entry) return undefined;
    this.byId.delete(sessionId);
    const line = this.byPartition.get(entry.partition)!;
    line.remove(entry);
    if (line.size === 0) this.byPartition.delete(entry.partition);
    return entry;
  }

  /** The waiting sessions whose queue deadline is at or before `now` (they stay filed until deleted). */
  expired(now: number): WaitingSession[] {
    const due = this.deadlines.popDue(now).filter((e) => this.byId.get(e.view.id) === e);
    for (const e of due) this.deadlines.push(e.deadline, e);
    return due;
  }

  /** The stored reason of a waiting session changed (committed). */
  setReason(sessionId: string, reason: string | null): void {
    const entry = this.byId.get(sessionId);
    if (!entry || entry.reason === reason) return;
    entry.reason = reason;
    this.byPartition.get(entry.partition)!.reasonChanged(entry);
  }

  /** The line of a partition, if any session waits in it. */
  line(partition: string): QueueLine | undefined {
    return this.byPartition.get(partition);
  }

  lines(): IterableIterator<QueueLine> {
    return this.byPartition.values();
  }

  values(): IterableIterator<WaitingSession> {
    return this.byId.values();
  }

  private entry(row: SessionRecord, arrival: number): Entry {
    const view = { ...sessionView(row), arrival };
    return { view, reason: row.queuereason, deadline: queueDeadline(row), ...this.o.place(view) };
  }

  private lineOf(partition: string): QueueLine {
    let line = this.byPartition.get(partition);
    if (!line) this.byPartition.set(partition, (line = new QueueLine(partition, this.o.fifo(partition))));
    return line;
  }
}

function sessionView(r: SessionRecord): Omit<SessionView, 'arrival'> {
  return {
    id: r.flowsessionid,
    priority: r.priority ?? 0,
    createdon: r.createdon,
    scheduledfor: r.scheduledfor,
    groupId: r._machinegroupid_value,
    targetMachineId: r._machineid_value,
    runmode: r.runmode ?? RunMode.v.Unattended,
    sessionusername: r.sessionusername,
  };
}
