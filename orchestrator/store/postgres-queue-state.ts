import { SessionStatus } from '../../shared/option-sets.js';
import type { PgExecutor } from './postgres-executor.js';
import { isGuidText } from './postgres-filter.js';
import type { PgTables } from './postgres-tables.js';
import { appliedKey, assignmentKey, cancelKey, IDENTITY_KEYS, MASKED_AT_REST, targetKey } from './queue-state-keys.js';
import type { Assignment, PendingCancel, QueueState, ServiceIdentity } from './repositories.js';

/** The queue's state in the PostgreSQL store's `meta` table, under the SQLite store's keys (an empty value is a forgotten entry). */
export class PgQueueState implements QueueState {
  constructor(
    private readonly db: PgExecutor,
    private readonly t: PgTables,
  ) {}

  private get(key: string): Promise<string | undefined> {
    return this.t.getMeta(this.db, key);
  }

  private set(key: string, value: string): Promise<void> {
    return this.t.setMeta(this.db, key, value);
  }

  async appliedSeq(machineId: string): Promise<number> {
    return Number((await this.get(appliedKey(machineId))) ?? 0);
  }

  setAppliedSeq(machineId: string, seq: number): Promise<void> {
    return this.set(appliedKey(machineId), String(seq));
  }

  async assignment(sessionId: string): Promise<Assignment | undefined> {
    const raw = await this.get(assignmentKey(sessionId));
    return raw ? (JSON.parse(raw) as Assignment) : undefined;
  }

  setAssignment(sessionId: string, assignment: Assignment | undefined): Promise<void> {
    return this.set(assignmentKey(sessionId), assignment ? JSON.stringify(assignment) : '');
  }

  /**
   * The session's row is locked first, skipping it when another transaction holds it (another instance's pass claiming
   * it, or any change under way): passes never wait for each other, so they cannot deadlock. Then the assignment is
   * written only where none is recorded.
   */
  async claimOffer(sessionId: string, offer: Assignment): Promise<boolean> {
    // Assigned already (the common case of a session another instance offered): no lock taken at all.
    if (!isGuidText(sessionId) || (await this.assignment(sessionId))) return false;
    const locked = await this.db.query('SELECT 1 FROM flowsessions WHERE flowsessionid = $1 AND statuscode = $2 FOR UPDATE SKIP LOCKED', [sessionId, SessionStatus.v.Waiting]);
    if (locked.rowCount !== 1) return false;
    const written = await this.db.query(
      "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value = '' RETURNING key",
      [assignmentKey(sessionId), JSON.stringify(offer)],
    );
    return written.rowCount === 1;
  }

  async target(sessionId: string): Promise<string | null | undefined> {
    const raw = await this.get(targetKey(sessionId));
    return raw === undefined ? undefined : raw || null;
  }

  setTarget(sessionId: string, machineId: string | null): Promise<void> {
    return this.set(targetKey(sessionId), machineId ?? '');
  }

  async pendingCancel(sessionId: string): Promise<PendingCancel | null> {
    const v = await this.get(cancelKey(sessionId));
    return v === 'cancelled' || v === 'timeout' ? v : null;
  }

  setPendingCancel(sessionId: string, reason: PendingCancel | null): Promise<void> {
    return this.set(cancelKey(sessionId), reason ?? '');
  }

  secretInputsMaskedAt(): Promise<string | undefined> {
    return this.get(MASKED_AT_REST);
  }

  setSecretInputsMasked(at: string): Promise<void> {
    return this.set(MASKED_AT_REST, at);
  }

  async serviceIdentity(): Promise<ServiceIdentity | undefined> {
    const [organizationId, businessUnitId, userId] = await Promise.all([
      this.get(IDENTITY_KEYS.organizationId),
      this.get(IDENTITY_KEYS.businessUnitId),
      this.get(IDENTITY_KEYS.userId),
    ]);
    return organizationId && businessUnitId && userId ? { organizationId, businessUnitId, userId } : undefined;
  }

  async setServiceIdentity(identity: ServiceIdentity): Promise<void> {
    // One statement per key, in turn: on a transaction's client they would queue anyway.
    for (const key of Object.keys(IDENTITY_KEYS) as (keyof ServiceIdentity)[]) await this.set(IDENTITY_KEYS[key], identity[key]);
  }
}
