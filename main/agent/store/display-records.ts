import type { StoreDb } from './store-db.js';

/** A session's picture as stored. */
export interface StoredScreenshot {
  readonly sessionId: string;
  readonly takenon: string;
  readonly png: Buffer;
}

/**
 * The display side of a session in the store: the pid of its virtual display server while it runs (so a restarted
 * agent can end what a dead one left) and the screenshot of its display when it failed, timed out or was cancelled.
 */
export class DisplayRecords {
  constructor(private readonly q: StoreDb) {}

  /** Crash-safe, like the flow's pid: written as soon as the server is spawned. */
  recordServer(sessionId: string, pid: number): void {
    this.q.crashSafe(() => this.q.sql('INSERT OR REPLACE INTO display_servers (session_id, pid) VALUES (?, ?)').run(sessionId, pid));
  }

  servers(): { readonly sessionId: string; readonly pid: number }[] {
    const rows = this.q.sql('SELECT session_id, pid FROM display_servers ORDER BY rowid').all() as { session_id: string; pid: number }[];
    return rows.map((r) => ({ sessionId: r.session_id, pid: r.pid }));
  }

  /** The server has ended. */
  forgetServer(sessionId: string): void {
    this.q.crashSafe(() => this.q.sql('DELETE FROM display_servers WHERE session_id = ?').run(sessionId));
  }

  /** Keeps the session's picture (one per session: a later one replaces it). */
  saveScreenshot(sessionId: string, takenon: string, png: Buffer): void {
    this.q.crashSafe(() => this.q.sql('INSERT OR REPLACE INTO screenshots (session_id, takenon, png) VALUES (?, ?, ?)').run(sessionId, takenon, png));
  }

  screenshot(sessionId: string): StoredScreenshot | undefined {
    const row = this.q.sql('SELECT takenon, png FROM screenshots WHERE session_id = ?').get(sessionId) as { takenon: string; png: Buffer } | undefined;
    return row ? { sessionId, takenon: row.takenon, png: row.png } : undefined;
  }
}
