import type { UserIdentity } from '../../process/session-user.js';
import type { LaunchPlan } from '../flow-launch.js';

/** A picture of a session's display, or why there is none. */
export type ScreenshotResult = { readonly ok: true; readonly png: Buffer } | { readonly ok: false; readonly reason: string };

/** The display one session's flow runs on. */
export interface SessionDisplay {
  /** What the flow gets: DISPLAY and XAUTHORITY (X11), WAYLAND_DISPLAY and XDG_RUNTIME_DIR (Wayland). */
  readonly env: Readonly<Record<string, string>>;
  /** Files the display keeps in the session's work dir (the authority file); removed with the dir. */
  readonly files: readonly string[];
  /** A PNG of the whole display as it is now; never throws. */
  screenshot(): Promise<ScreenshotResult>;
  /** Ends the display and everything on it (a virtual one); the user's own display is left as it is. Idempotent. */
  close(): Promise<void>;
  /**
   * How the flow must be started to reach this display, when variables are not enough: inside the console user's GUI
   * session (macOS `launchctl asuser`, Windows the console session's token). Called once, before the flow spawns.
   */
  launch?(plan: LaunchPlan): LaunchPlan;
}

export interface DisplayRequest {
  readonly sessionId: string;
  /** RunMode value of the session. */
  readonly runmode: number;
  /** The session's work dir (the agent's; run-as-dir.ts or `<dataDir>/sessions/<id>`). */
  readonly workDir: string;
  /** The session user when it is not the agent's own. */
  readonly user?: UserIdentity;
  /** The pid of a display server started for the session, as soon as it exists (recorded for recovery). */
  readonly recordServer: (pid: number) => void;
}

/**
 * Which display a session gets, per run mode, on this OS (docs/desktop.md): linux-desktop.ts, macos-desktop.ts,
 * windows-desktop.ts, chosen in desktop-for-platform.ts. `open` resolves undefined for a session that
 * runs without a display, and throws (the session fails with DisplayUnavailable) when one is needed but cannot be had.
 */
export interface SessionDesktop {
  open(req: DisplayRequest): Promise<SessionDisplay | undefined>;
  /** Whether attended sessions can run now: the signed-in user has a graphical session. */
  attendedAvailable(user: string): boolean;
  /** Why unattended sessions cannot get the display they need now, or undefined when they can. */
  unattendedProblem(): string | undefined;
}
