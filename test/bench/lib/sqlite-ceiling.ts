import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowMs } from './stats.js';

/**
 * The storage ceiling for log lines on this machine: bare better-sqlite3, WAL + synchronous=FULL (as the agent
 * store), 60-byte messages inserted 1000 per transaction into a table shaped like the agent's log_lines.
 * Returns rows/s.
 */
export function sqliteLineCeiling(rows: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-bench-sqlite-'));
  const db = new Database(join(dir, 'ceiling.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE log_lines (session_id TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO log_lines (session_id, seq, message) VALUES (?, ?, ?)');
    const message = 'x'.repeat(59);
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run('00000000-0000-4000-8000-000000000000', i, message);
    });
    const t0 = nowMs();
    for (let i = 0; i < rows; i += 1000) batch(i, Math.min(rows, i + 1000));
    return rows / ((nowMs() - t0) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
