import { SessionStatus } from '../../shared/option-sets.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import type { Store } from '../store/store.js';

/** Where a session stands between the queue and a machine. */
export interface Assignment {
  readonly machineId: string;
  /** `offered`: assign sent, no accept yet (revocable). `confirmed`: the machine owns it for good. */
  readonly state: 'offered' | 'confirmed';
  /** ISO time of the offer or of the confirmation. */
  readonly at: string;
}

export type PendingCancel = 'cancelled' | 'timeout';

/** Statuses of a session that may hold an assignment: waiting (offered or confirmed, not started), running, paused. */
const OPEN_STATUSES = [SessionStatus.v.Paused, SessionStatus.v.Running, SessionStatus.v.Waiting].join(', ');

const assignmentKey = (id: string) => `queue.assignment.${id}`;
const targetKey = (id: string) => `queue.target.${id}`;
const cancelKey = (id: string) => `queue.cancel.${id}`;

/** What the queue's callers may read about offers and confirmations (`Queue.assignments`). */
export interface AssignmentQueries {
  /**
   * The machine a session is confirmed to, or undefined (waiting, only offered, or unknown). Still answers for an
   * ended session: its confirmation proves ownership of late events.
   */
  confirmedMachineOf(sessionId: string): string | undefined;
  /** Sessions confirmed to a machine that have not ended. */
  confirmedSessionsOf(machineId: string): string[];
  /** Offers sent and not yet answered, with their machine and time. */
  unansweredOffers(): [string, Assignment][];
  /** Sessions confirmed to a machine that have not ended, with their machine and confirmation time. */
  confirmedSessions(): [string, Assignment][];
  /** Why a confirmed session's machine was asked to cancel it and has not reported its end yet; null if it was not. */
  pendingCancel(sessionId: string): PendingCancel | null;
}

/**
 * The queue's durable bookkeeping, kept in the store's meta table (so it joins the store's transactions)
 * with an in-memory index for the hot paths. `_machineid_value` on a session is both the target the API
 * set and the machine it was assigned to; the original target is remembered here so a requeue restores it.
 */
export class AssignmentBook implements AssignmentQueries {
  private readonly assignments = new Map<string, Assignment>();
  /** Live assignments per machine, for slot counts without a scan. */
  private readonly byMachine = new Map<string, Set<string>>();

  constructor(private readonly store: Store) {}

  /** Rebuilds the index from the sessions that are not terminal. */
  load(): void {
    this.assignments.clear();
    this.byMachine.clear();
    const rows = this.store.query(flowsessionEntity, { where: `statuscode IN (${OPEN_STATUSES}) AND _machineid_value IS NOT NULL` });
    for (const row of rows) {
      const id = String(row['flowsessionid']);
      const raw = this.store.getMeta(assignmentKey(id));
      if (raw) this.index(id, JSON.parse(raw) as Assignment);
    }
  }

  private index(sessionId: string, assignment: Assignment | undefined): void {
    const previous = this.assignments.get(sessionId);
    if (previous) this.byMachine.get(previous.machineId)?.delete(sessionId);
    if (!assignment) {
      this.assignments.delete(sessionId);
      return;
    }
    this.assignments.set(sessionId, assignment);
    let ids = this.byMachine.get(assignment.machineId);
    if (!ids) this.byMachine.set(assignment.machineId, (ids = new Set()));
    ids.add(sessionId);
  }

  get(sessionId: string): Assignment | undefined {
    const cached = this.assignments.get(sessionId);
    if (cached) return cached;
    // Terminal sessions are not indexed; their confirmation still proves ownership of late events.
    const raw = this.store.getMeta(assignmentKey(sessionId));
    return raw ? (JSON.parse(raw) as Assignment) : undefined;
  }

  set(sessionId: string, assignment: Assignment): void {
    this.store.setMeta(assignmentKey(sessionId), JSON.stringify(assignment));
    this.index(sessionId, assignment);
  }

  /** Forgets an unconfirmed offer (revoke/reject/requeue). */
  clear(sessionId: string): void {
    this.store.setMeta(assignmentKey(sessionId), '');
    this.index(sessionId, undefined);
  }

  /** Drops a finished session from the in-memory index (the durable record stays for ownership checks). */
  finished(sessionId: string): void {
    this.index(sessionId, undefined);
  }

  /** Live (non-terminal) assignments of one machine. */
  ofMachine(machineId: string): [string, Assignment][] {
    return [...(this.byMachine.get(machineId) ?? [])].map((id) => [id, this.assignments.get(id)!]);
  }

  /** How many live assignments a machine has. */
  countOf(machineId: string): number {
    return this.byMachine.get(machineId)?.size ?? 0;
  }

  all(): [string, Assignment][] {
    return [...this.assignments];
  }

  confirmedMachineOf(sessionId: string): string | undefined {
    const a = this.get(sessionId);
    return a?.state === 'confirmed' ? a.machineId : undefined;
  }

  confirmedSessionsOf(machineId: string): string[] {
    return this.ofMachine(machineId).flatMap(([id, a]) => (a.state === 'confirmed' ? [id] : []));
  }

  unansweredOffers(): [string, Assignment][] {
    return this.all().filter(([, a]) => a.state === 'offered');
  }

  confirmedSessions(): [string, Assignment][] {
    return this.all().filter(([, a]) => a.state === 'confirmed');
  }

  setTarget(sessionId: string, machineId: string | null): void {
    this.store.setMeta(targetKey(sessionId), machineId ?? '');
  }

  /** Whether the session's original target was recorded (even as none). */
  hasTarget(sessionId: string): boolean {
    return this.store.getMeta(targetKey(sessionId)) !== undefined;
  }

  target(sessionId: string): string | null {
    return this.store.getMeta(targetKey(sessionId)) || null;
  }

  setPendingCancel(sessionId: string, reason: PendingCancel): void {
    this.store.setMeta(cancelKey(sessionId), reason);
  }

  /** Forgets a pending cancel; writes (and commits) only when one is recorded, so an ended session costs a read. */
  clearPendingCancel(sessionId: string): void {
    if (this.pendingCancel(sessionId)) this.store.setMeta(cancelKey(sessionId), '');
  }

  pendingCancel(sessionId: string): PendingCancel | null {
    const v = this.store.getMeta(cancelKey(sessionId));
    return v === 'cancelled' || v === 'timeout' ? v : null;
  }
}
