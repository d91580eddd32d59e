import type { Logger } from 'winston';
import { MAX_SCREENSHOT_BYTES } from '../../../../shared/protocol.js';
import type { UserIdentity } from '../../process/session-user.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { LaunchPlan } from '../flow-launch.js';
import { SCREENSHOT_SOCKET_ENV, ScreenshotRequests, type RequestedShot } from './screenshot-requests.js';
import type { SessionDesktop, SessionDisplay } from './session-display.js';

export interface DisplayLeaseOptions {
  readonly desktop: SessionDesktop;
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly now: () => Date;
  /** For the session log: what happened to the display (picture taken, or why not). */
  readonly note: (text: string) => void;
  /** Whether the flow may ask for pictures while it runs (screenshot-requests.ts). Default: not on Windows. */
  readonly requests?: boolean;
}

/**
 * One session's hold on its display, with the store kept in step: the server's pid is recorded when it is spawned
 * and dropped once it has ended; the picture taken when the run ends badly is stored with the session.
 */
export class DisplayLease {
  private pictured = false;
  private requests: ScreenshotRequests | undefined;
  /** The picture a flow asked for, while it is being taken. */
  private taking: Promise<RequestedShot> | undefined;
  private closed = false;

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
      if (display) return await new DisplayLease(req.sessionId, display, o).listen(req.workDir, req.user);
    } catch (err) {
      if (recorded) forget(o, req.sessionId);
      throw err;
    }
    if (recorded) forget(o, req.sessionId);
    return undefined;
  }

  /** The request socket when it could be opened; without it the session runs as before, and its log says why. */
  private async listen(workDir: string, user: UserIdentity | undefined): Promise<this> {
    if (!(this.options.requests ?? process.platform !== 'win32')) return this;
    try {
      this.requests = await ScreenshotRequests.listen({ workDir, ...(user ? { owner: user } : {}), take: () => this.requested() });
    } catch (err) {
      this.options.note(`the flow cannot ask for screenshots: ${(err as Error).message}`);
    }
    return this;
  }

  get env(): Readonly<Record<string, string>> {
    return this.requests ? { ...this.display.env, [SCREENSHOT_SOCKET_ENV]: this.requests.path } : this.display.env;
  }

  get files(): readonly string[] {
    return this.requests ? [...this.display.files, this.requests.path] : this.display.files;
  }

  /** The flow's launch plan as this display needs it (started inside the user's GUI session on macOS and Windows). */
  launchPlan(plan: LaunchPlan): LaunchPlan {
    return this.display.launch ? this.display.launch(plan) : plan;
  }

  /** A picture the flow asked for: one at a time, stored with the session (replacing an earlier one); never throws. */
  private requested(): Promise<RequestedShot> {
    if (this.closed || this.pictured) return Promise.resolve({ ok: false, busy: false, reason: 'the session is ending' });
    if (this.taking) return Promise.resolve({ ok: false, busy: true, reason: 'a screenshot of this display is being taken; ask again when it is stored' });
    const taking = (this.taking = this.store(true).finally(() => (this.taking = undefined)));
    return taking;
  }

  /** Takes and stores the display's picture, once per session, after a requested one being taken; never throws. */
  async capture(): Promise<void> {
    if (this.pictured) return;
    this.pictured = true;
    await this.taking;
    await this.store(false);
  }

  private async store(onRequest: boolean): Promise<RequestedShot> {
    const shot = await this.display.screenshot();
    const of = onRequest ? ' on request' : '';
    if (!shot.ok) {
      this.options.note(`no screenshot of the session's display${of}: ${shot.reason}`);
      return { ok: false, busy: false, reason: shot.reason };
    }
    const takenon = this.options.now().toISOString();
    try {
      this.options.store.displays.saveScreenshot(this.sessionId, takenon, shot.png);
      const upstream = shot.png.length > MAX_SCREENSHOT_BYTES ? `; over the ${MAX_SCREENSHOT_BYTES} bytes the orchestrator takes, so it stays on this machine` : '';
      this.options.note(`screenshot of the session's display${of} stored (${shot.png.length} bytes)${upstream}`);
      return { ok: true, takenon, bytes: shot.png.length };
    } catch (err) {
      this.options.logger.warn('could not store the screenshot of a session display', { sessionId: this.sessionId, onRequest, error: (err as Error).message });
      return { ok: false, busy: false, reason: 'the picture could not be stored' };
    }
  }

  /** Ends the display (and what runs on it), then drops its record; a failure is logged and left to recovery. */
  async close(): Promise<void> {
    this.closed = true;
    await this.requests?.close();
    await this.taking;
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
