import { BackgroundOperationState } from '../../../shared/option-sets.js';
import type Database from 'better-sqlite3';
import { maskSecretInputs } from '../../../shared/secret-mask.js';
import type { AssignFrame, RetentionOptions } from './store-types.js';

const DAY_MS = 86_400_000;

const LINES = 'last_seq - first_seq + 1';
const linesDeleted = (rows: unknown[]): number => (rows as { n: number }[]).reduce((sum, r) => sum + r.n, 0);

/**
 * Deletes log chunks and samples of completed sessions whose events were acked (event_seq <= ackedSeq):
 * first everything older than maxAgeMs, then the oldest sessions' chunks while more than maxLogLines lines remain.
 * Counts lines (a chunk holds a range). Runs inside the caller's transaction.
 */
export function pruneAcked(db: Database.Database, ackedSeq: number, now: Date, opts: RetentionOptions): { logLines: number; samples: number } {
  const cutoff = new Date(now.getTime() - (opts.maxAgeMs ?? 7 * DAY_MS)).toISOString();
  const old = `SELECT id FROM sessions WHERE stage = 'completed' AND completedon < ?`;
  let logLines = linesDeleted(db.prepare(`DELETE FROM log_chunks WHERE event_seq <= ? AND session_id IN (${old}) RETURNING ${LINES} AS n`).all(ackedSeq, cutoff));
  let samples = db.prepare(`DELETE FROM samples WHERE event_seq <= ? AND session_id IN (${old})`).run(ackedSeq, cutoff).changes;
  // Screenshots are kept as long as the logs of their session.
  db.prepare(`DELETE FROM screenshots WHERE session_id IN (${old})`).run(cutoff);
  db.prepare(`DELETE FROM callbacks WHERE statecode = ${BackgroundOperationState.v.Completed} AND endtime < ?`).run(cutoff);

  const maxLines = opts.maxLogLines ?? 1_000_000;
  let total = (db.prepare(`SELECT COALESCE(SUM(${LINES}), 0) AS n FROM log_chunks`).get() as { n: number }).n;
  if (total <= maxLines) return { logLines, samples };
  const sessions = db.prepare(`SELECT id FROM sessions WHERE stage = 'completed' ORDER BY completedon`).all() as { id: string }[];
  const delLines = db.prepare(`DELETE FROM log_chunks WHERE session_id = ? AND event_seq <= ? RETURNING ${LINES} AS n`);
  const delSamples = db.prepare('DELETE FROM samples WHERE session_id = ? AND event_seq <= ?');
  const delScreenshot = db.prepare('DELETE FROM screenshots WHERE session_id = ?');
  for (const { id } of sessions) {
    if (total <= maxLines) break;
    const n = linesDeleted(delLines.all(id, ackedSeq));
    total -= n;
    logLines += n;
    samples += delSamples.run(id, ackedSeq).changes;
    delScreenshot.run(id);
  }
  return { logLines, samples };
}

/**
 * Rewrites the stored assign of every session whose `completed` event is being acked (seq in (ackedSeq, upTo]) with
 * its secret inputs masked (`***`) and no secret names left: complete and reported, it never needs them again. Runs
 * inside the caller's transaction, before the acked events are deleted. Returns how many assigns it rewrote.
 */
export function pruneSecretInputs(db: Database.Database, ackedSeq: number, upTo: number): number {
  const rows = db
    .prepare(`SELECT s.id, s.assign FROM events e JOIN sessions s ON s.id = e.session_id WHERE e.seq > ? AND e.seq <= ? AND e.kind = 'completed'`)
    .all(ackedSeq, upTo) as { id: string; assign: string }[];
  const update = db.prepare('UPDATE sessions SET assign = ? WHERE id = ?');
  let rewritten = 0;
  for (const { id, assign } of rows) {
    const frame = JSON.parse(assign) as AssignFrame;
    if (frame.secretInputs.length === 0 && frame.session.sessiontoken === undefined) continue;
    update.run(withoutSecrets(frame), id);
    rewritten++;
  }
  return rewritten;
}

/**
 * Once per store (meta `secrets_swept`): sessions completed and reported before assigns were pruned (no event of theirs
 * left in the outbox) lose their secret inputs the same way. Sessions still reporting are pruned when acked.
 */
export function sweepReportedSecretInputs(db: Database.Database): number {
  if (db.prepare(`SELECT 1 FROM meta WHERE key = 'secrets_swept'`).get() !== undefined) return 0;
  const unreported = new Set((db.prepare('SELECT DISTINCT session_id AS id FROM events').all() as { id: string }[]).map((r) => r.id));
  const update = db.prepare('UPDATE sessions SET assign = ? WHERE id = ?');
  let rewritten = 0;
  const read = db.prepare('SELECT assign FROM sessions WHERE id = ?').pluck();
  for (const id of db.prepare(`SELECT id FROM sessions WHERE stage = 'completed'`).pluck().all() as string[]) {
    if (unreported.has(id)) continue;
    const frame = JSON.parse(read.get(id) as string) as AssignFrame;
    if (frame.secretInputs.length === 0) continue;
    update.run(withoutSecrets(frame), id);
    rewritten++;
  }
  db.prepare(`INSERT INTO meta (key, value) VALUES ('secrets_swept', 1)`).run();
  return rewritten;
}

/** The assign without its secrets: inputs masked, no secret names, no session token (dead once the session ended). */
function withoutSecrets(frame: AssignFrame): string {
  const { sessiontoken: _token, ...session } = frame.session;
  return JSON.stringify({ ...frame, session, inputs: maskSecretInputs(frame.inputs, frame.secretInputs), secretInputs: [] });
}
