import { MAX_SCREENSHOT_BYTES, type Screenshot } from '../../../shared/protocol.js';
import type { EncodedEvent } from './event-outbox.js';
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

  /** That the session has a picture, and its size, without reading the picture. */
  screenshotInfo(sessionId: string): { readonly takenon: string; readonly bytes: number } | undefined {
    const row = this.q.sql('SELECT takenon, length(png) AS bytes FROM screenshots WHERE session_id = ?').get(sessionId) as { takenon: string; bytes: number } | undefined;
    return row ? { takenon: row.takenon, bytes: row.bytes } : undefined;
  }

  /**
   * `event` as sent to an orchestrator that takes screenshots: a `completed` event carries its session's picture
   * when there is one within MAX_SCREENSHOT_BYTES (the stored event never holds it, so an orchestrator that does not
   * take pictures gets the same seq without it). Other events are returned as they are.
   */
  withScreenshot(event: EncodedEvent): EncodedEvent {
    if (event.kind !== 'completed') return event;
    const shot = this.screenshot(event.sessionId);
    if (!shot || shot.png.length > MAX_SCREENSHOT_BYTES) return event;
    const screenshot: Screenshot = { takenon: shot.takenon, png: shot.png.toString('base64') };
    // The stored body is the event's JSON object: the field goes in before its closing brace.
    return { ...event, body: `${event.body.slice(0, -1)},"screenshot":${JSON.stringify(screenshot)}}` };
  }
}
