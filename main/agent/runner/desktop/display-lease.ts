import type { Logger } from 'winston';
import { MAX_SCREENSHOT_BYTES } from '../../../../shared/protocol.js';
import type { UserIdentity } from '../../process/session-user.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { SessionDesktop, SessionDisplay } from './session-display.js';

export interface DisplayLeaseOptions {
  readonly desktop: SessionDesktop;
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly now: () => Date;
  /** For the session log: what happened to the display (picture taken, or why not). */
  readonly note: (text: string) => void;
}

/**
 * One session's hold on its display, with the store kept in step: the server's pid is recorded when it is spawned
 * and dropped once it has ended; the picture taken when the run ends badly is stored with the session.
 */
export class DisplayLease {
  private pictured = false;

  private constructor(
    private readonly sessionId: string,
    private readonly display: SessionDisplay,
    private readonly options: DisplayLeaseOptions,
  ) {}

  /** The session's display, undefined when it runs without one; throws when it needs one that cannot start. */
  static async open(o: DisplayLeaseOptions, req: { sessionId: string; runmode: number; workDir: string; user?: UserIdentity }): Promise<DisplayLease | undefined> {
    let recorded = false;
    try {
      const display = await o.desktop.open({ ...req, recordServer: (pid) => (o.store.displays.recordServer(req.sessionId, pid), (recorded = true)) });
      if (display) return new DisplayLease(req.sessionId, display, o);
    } catch (err) {
      if (recorded) forget(o, req.sessionId);
      throw err;
    }
    if (recorded) forget(o, req.sessionId);
    return undefined;
  }

  get env(): Readonly<Record<string, string>> {
    return this.display.env;
  }

  get files(): readonly string[] {
    return this.display.files;
  }

  /** Takes and stores the display's picture, once per session; never throws. */
  async capture(): Promise<void> {
    if (this.pictured) return;
    this.pictured = true;
    const shot = await this.display.screenshot();
    if (!shot.ok) return this.options.note(`no screenshot of the session's display: ${shot.reason}`);
    try {
      this.options.store.displays.saveScreenshot(this.sessionId, this.options.now().toISOString(), shot.png);
      const upstream = shot.png.length > MAX_SCREENSHOT_BYTES ? `; over the ${MAX_SCREENSHOT_BYTES} bytes the orchestrator takes, so it stays on this machine` : '';
      this.options.note(`screenshot of the session's display stored (${shot.png.length} bytes)${upstream}`);
    } catch (err) {
      this.options.logger.warn('could not store the screenshot of a session display', { sessionId: this.sessionId, error: (err as Error).message });
    }
  }

  /** Ends the display (and what runs on it), then drops its record; a failure is logged and left to recovery. */
  async close(): Promise<void> {
    try {
      await this.display.close();
    } catch (err) {
      this.options.logger.warn('could not end a session display; the next agent start ends it', { sessionId: this.sessionId, error: (err as Error).message });
      return;
    }
    forget(this.options, this.sessionId);
  }
}

function forget(o: DisplayLeaseOptions, sessionId: string): void {
  try {
    o.store.displays.forgetServer(sessionId);
  } catch (err) {
    o.logger.warn('could not drop the record of an ended display server', { sessionId, error: (err as Error).message });
  }
}
