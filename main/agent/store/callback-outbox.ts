import type Database from 'better-sqlite3';
import { BackgroundOperationState, BackgroundOperationStatus } from '../../../shared/option-sets.js';
import type { CallbackAttemptOutcome, CallbackRow } from './store-types.js';

const READY = BackgroundOperationState.v.Ready;
const COMPLETED = BackgroundOperationState.v.Completed;

/** Callback outbox rows (backgroundoperation shape): Ready until delivered or given up. */
export class CallbackOutbox {
  private readonly insert: Database.Statement;
  private readonly due: Database.Statement;
  private readonly retry: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly pending: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO callbacks (id, session_id, url, body, statecode, statuscode, retrycount, createdon, ttlinseconds, nextattempton)
       VALUES (@id, @sessionId, @url, @body, ${READY}, ${BackgroundOperationStatus.v.WaitingForResources}, 0, @createdon, @ttl, @createdon)`,
    );
    this.due = db.prepare(
      `SELECT c.id AS backgroundoperationid, c.session_id AS sessionId, json_extract(s.assign, '$.session.workflowid') AS workflowId,
         c.url, c.body, c.retrycount, c.createdon, c.ttlinseconds, c.nextattempton
       FROM callbacks c LEFT JOIN sessions s ON s.id = c.session_id
       WHERE c.statecode = ${READY} AND c.nextattempton <= ? ORDER BY c.nextattempton LIMIT ?`,
    );
    this.retry = db.prepare(
      `UPDATE callbacks SET retrycount = retrycount + 1, nextattempton = @next, errormessage = @error, httpstatus = @http
       WHERE id = @id AND statecode = ${READY}`,
    );
    this.finish = db.prepare(
      `UPDATE callbacks SET statecode = ${COMPLETED}, statuscode = @status, endtime = @now, errormessage = @error, httpstatus = @http
       WHERE id = @id AND statecode = ${READY}`,
    );
    this.pending = db.prepare(`SELECT COUNT(*) AS n FROM callbacks WHERE statecode = ${READY}`);
  }

  add(row: { id: string; sessionId: string; url: string; body: string; createdon: string; ttl: number }): void {
    this.insert.run(row);
  }

  dueAt(now: Date, limit: number): CallbackRow[] {
    return this.due.all(now.toISOString(), limit) as CallbackRow[];
  }

  record(id: string, outcome: CallbackAttemptOutcome, now: Date): void {
    const common = { id, error: outcome.error ?? null, http: outcome.httpStatus ?? null };
    if (outcome.status === 'retry') {
      const next = outcome.nextAttemptAt ?? now;
      this.retry.run({ ...common, next: next.toISOString() });
      return;
    }
    const status = outcome.status === 'succeeded' ? BackgroundOperationStatus.v.Succeeded : BackgroundOperationStatus.v.Failed;
    this.finish.run({ ...common, status, now: now.toISOString() });
  }

  pendingCount(): number {
    return (this.pending.get() as { n: number }).n;
  }
}
