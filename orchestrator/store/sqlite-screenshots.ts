import type { Synced } from './sqlite-async.js';
import type { ScreenshotRecord, ScreenshotRepository } from './repositories.js';
import type { SqliteTables } from './sqlite-tables.js';

/**
 * Session pictures in their own table, beside the entity tables (a BLOB column no Web API query reads): the row goes
 * with its session (ON DELETE CASCADE), so whatever deletes a flowsession removes its picture too.
 */
export class SqliteScreenshots implements Synced<ScreenshotRepository> {
  constructor(private readonly t: SqliteTables) {
    t.db.exec(
      `CREATE TABLE IF NOT EXISTS flowsession_screenshots (
         flowsessionid TEXT PRIMARY KEY REFERENCES flowsessions (flowsessionid) ON DELETE CASCADE,
         takenon TEXT NOT NULL,
         png BLOB NOT NULL)`,
    );
  }

  put(shot: ScreenshotRecord): void {
    this.t
      .stmt('INSERT OR REPLACE INTO flowsession_screenshots (flowsessionid, takenon, png) VALUES (?, ?, ?)')
      .run(shot.flowsessionid, shot.takenon, shot.png);
  }

  forSession(flowsessionid: string): ScreenshotRecord | undefined {
    const row = this.t.stmt('SELECT takenon, png FROM flowsession_screenshots WHERE flowsessionid = ?').get(flowsessionid) as
      | { takenon: string; png: Buffer }
      | undefined;
    return row ? { flowsessionid, takenon: row.takenon, png: row.png } : undefined;
  }
}
