import { SessionStatus } from '../../shared/option-sets.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import type { Synced } from './sqlite-async.js';
import type { Assignment, PendingCancel, QueueState, ServiceIdentity } from './repositories.js';
import { appliedKey, assignmentKey, cancelKey, IDENTITY_KEYS, MASKED_AT_REST, targetKey } from './queue-state-keys.js';
import type { SqliteTables } from './sqlite-tables.js';

/** The queue's state in the SQLite store's `meta` table (an empty value is a forgotten entry). */
export class SqliteQueueState implements Synced<QueueState> {
  constructor(private readonly t: SqliteTables) {}

  appliedSeq(machineId: string): number {
    return Number(this.t.getMeta(appliedKey(machineId)) ?? 0);
  }

  setAppliedSeq(machineId: string, seq: number): void {
    this.t.setMeta(appliedKey(machineId), String(seq));
  }

  assignment(sessionId: string): Assignment | undefined {
    const raw = this.t.getMeta(assignmentKey(sessionId));
    return raw ? (JSON.parse(raw) as Assignment) : undefined;
  }

  setAssignment(sessionId: string, assignment: Assignment | undefined): void {
    this.t.setMeta(assignmentKey(sessionId), assignment ? JSON.stringify(assignment) : '');
  }

  /** One connection, one transaction at a time: no other writer can slip in between the checks and the write. */
  claimOffer(sessionId: string, offer: Assignment): boolean {
    const session = this.t.get(flowsessionEntity, sessionId);
    if (session?.['statuscode'] !== SessionStatus.v.Waiting || this.assignment(sessionId)) return false;
    this.setAssignment(sessionId, offer);
    return true;
  }

  target(sessionId: string): string | null | undefined {
    const raw = this.t.getMeta(targetKey(sessionId));
    return raw === undefined ? undefined : raw || null;
  }

  setTarget(sessionId: string, machineId: string | null): void {
    this.t.setMeta(targetKey(sessionId), machineId ?? '');
  }

  pendingCancel(sessionId: string): PendingCancel | null {
    const v = this.t.getMeta(cancelKey(sessionId));
    return v === 'cancelled' || v === 'timeout' ? v : null;
  }

  setPendingCancel(sessionId: string, reason: PendingCancel | null): void {
    this.t.setMeta(cancelKey(sessionId), reason ?? '');
  }

  secretInputsMaskedAt(): string | undefined {
    return this.t.getMeta(MASKED_AT_REST);
  }

  setSecretInputsMasked(at: string): void {
    this.t.setMeta(MASKED_AT_REST, at);
  }

  serviceIdentity(): ServiceIdentity | undefined {
    const organizationId = this.t.getMeta(IDENTITY_KEYS.organizationId);
    const businessUnitId = this.t.getMeta(IDENTITY_KEYS.businessUnitId);
    const userId = this.t.getMeta(IDENTITY_KEYS.userId);
    return organizationId && businessUnitId && userId ? { organizationId, businessUnitId, userId } : undefined;
  }

  setServiceIdentity(identity: ServiceIdentity): void {
    for (const key of Object.keys(IDENTITY_KEYS) as (keyof ServiceIdentity)[]) this.t.setMeta(IDENTITY_KEYS[key], identity[key]);
  }
}
