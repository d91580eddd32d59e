import type { Assignment, PendingCancel, Repositories, Store } from '../store/store.js';

export type { Assignment, PendingCancel } from '../store/store.js';

/** What the queue's callers may read about offers and confirmations (`Queue.assignments`). */
export interface AssignmentQueries {
  /**
   * The machine a session is confirmed to, or undefined (waiting, only offered, or unknown). Still answers for an
   * ended session: its confirmation proves ownership of late events. Read in `tx` when the caller is in a transaction.
   */
  confirmedMachineOf(sessionId: string, tx?: Repositories): Promise<string | undefined>;
  /** Sessions confirmed to a machine that have not ended. */
  confirmedSessionsOf(machineId: string): string[];
  /** Offers sent and not yet answered, with their machine and time. */
  unansweredOffers(): [string, Assignment][];
  /** Sessions confirmed to a machine that have not ended, with their machine and confirmation time. */
  confirmedSessions(): [string, Assignment][];
  /** Why a confirmed session's machine was asked to cancel it and has not reported its end yet; null if it was not. */
  pendingCancel(sessionId: string): Promise<PendingCancel | null>;
}

/**
 * The queue's durable bookkeeping, kept in the store's queue state (so it joins the store's transactions: each write
 * names the transaction's repositories, `tx`) with an in-memory index for the hot paths. `_machineid_value` on a session is both the target the API
 * set and the machine it was assigned to; the original target is remembered here so a requeue restores it.
 */
export class AssignmentBook implements AssignmentQueries {
  private readonly assignments = new Map<string, Assignment>();
  /** Live assignments per machine, for slot counts without a scan. */
  private readonly byMachine = new Map<string, Set<string>>();

  constructor(private readonly store: Store) {}

  /** Rebuilds the index from the sessions that are not terminal. */
  async load(): Promise<void> {
    const open = await this.store.sessions.openAssigned();
    const assignments = await Promise.all(open.map(({ flowsessionid: id }) => this.store.queueState.assignment(id)));
    this.assignments.clear();
    this.byMachine.clear();
    open.forEach(({ flowsessionid: id }, i) => {
      const assignment = assignments[i];
      if (assignment) this.index(id, assignment);
    });
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

  /** The assignment of a session that has not ended, from memory (no store read). */
  live(sessionId: string): Assignment | undefined {
    return this.assignments.get(sessionId);
  }

  /** The assignment of any session; read in `tx` when the caller is in a transaction. */
  async get(sessionId: string, tx: Repositories = this.store): Promise<Assignment | undefined> {
    // Terminal sessions are not indexed; their confirmation still proves ownership of late events.
    return this.assignments.get(sessionId) ?? (await tx.queueState.assignment(sessionId));
  }

  async set(tx: Repositories, sessionId: string, assignment: Assignment): Promise<void> {
    await tx.queueState.setAssignment(sessionId, assignment);
    this.index(sessionId, assignment);
  }

  /**
   * Records an offer if the session still waits unassigned in the store, claimed against every other instance on the
   * same database (`QueueState.claimOffer`); false (nothing recorded) when another instance has it or it moved on.
   */
  async claim(tx: Repositories, sessionId: string, offer: Assignment): Promise<boolean> {
    if (!(await tx.queueState.claimOffer(sessionId, offer))) return false;
    this.index(sessionId, offer);
    return true;
  }

  /** Forgets an unconfirmed offer (revoke/reject/requeue). */
  async clear(tx: Repositories, sessionId: string): Promise<void> {
    await tx.queueState.setAssignment(sessionId, undefined);
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

  async confirmedMachineOf(sessionId: string, tx?: Repositories): Promise<string | undefined> {
    const a = this.assignments.get(sessionId) ?? (await this.get(sessionId, tx));
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

  setTarget(tx: Repositories, sessionId: string, machineId: string | null): Promise<void> {
    return tx.queueState.setTarget(sessionId, machineId);
  }

  /** Whether the session's original target was recorded (even as none). */
  async hasTarget(sessionId: string): Promise<boolean> {
    return (await this.store.queueState.target(sessionId)) !== undefined;
  }

  /** The original target; read in `tx` when the caller is in a transaction. */
  async target(sessionId: string, tx: Repositories = this.store): Promise<string | null> {
    return (await tx.queueState.target(sessionId)) ?? null;
  }

  setPendingCancel(tx: Repositories, sessionId: string, reason: PendingCancel): Promise<void> {
    return tx.queueState.setPendingCancel(sessionId, reason);
  }

  /** Forgets a pending cancel; writes (and commits) only when one is recorded, so an ended session costs a read. */
  async clearPendingCancel(tx: Repositories, sessionId: string): Promise<void> {
    if (await tx.queueState.pendingCancel(sessionId)) await tx.queueState.setPendingCancel(sessionId, null);
  }

  pendingCancel(sessionId: string): Promise<PendingCancel | null> {
    return this.store.queueState.pendingCancel(sessionId);
  }
}
