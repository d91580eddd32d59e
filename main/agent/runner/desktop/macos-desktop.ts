import { join } from 'node:path';
import { RunMode } from '../../../../shared/option-sets.js';
import type { DisplaySettings } from '../../config/display-settings.js';
import type { UserIdentity } from '../../process/session-user.js';
import { ENV_FILE_NAME, envFileText } from '../env-file.js';
import type { LaunchPlan } from '../flow-launch.js';
import { withoutIds } from './gui-launch.js';
import { writeOwnedFile } from '../run-as-dir.js';
import { asConsoleUser, readConsoleUser, screencaptureCommand, type ConsoleUser } from './macos-session.js';
import { capturePng } from './screenshot.js';
import type { DisplayRequest, SessionDesktop, SessionDisplay } from './session-display.js';

export interface MacDesktopOptions {
  /** `mode` says whether unattended sessions need the console user's GUI session (on), use it when they can (auto), or never (off). */
  readonly settings: Pick<DisplaySettings, 'mode'>;
  readonly agentUser: string;
  /** The agent's uid: 0 (a LaunchDaemon) starts flows through `launchctl asuser`; the console user's own (a LaunchAgent, the tray app) needs nothing. */
  readonly agentUid: number;
  /** Who sits at the console now; default: the owner of /dev/console. */
  readonly consoleUser?: () => ConsoleUser | undefined;
  /** How long an answer is believed for the scheduling state. Default 5 s. */
  readonly cacheMs?: number;
}

export const NOBODY_AT_CONSOLE = 'nobody is signed in at the console; unattended sessions on macOS run in the console user\'s GUI session (virtualDisplay on)';

/**
 * macOS: there is one GUI session to run in, the console user's (a Mac has no per-session virtual display). Attended
 * runs there as the agent's own user; Unattended too, as the session user, who must be the console user (a GUI session
 * is its user's: another account's flow there would have that user's windows, keychain prompts and files at hand).
 * Reviewed, not run here: the command lines are tested on Linux (test/unit/main/agent/runner/desktop/).
 */
export class MacDesktop implements SessionDesktop {
  private seen: { at: number; user: ConsoleUser | undefined } | undefined;

  constructor(private readonly options: MacDesktopOptions) {}

  attendedAvailable(user: string): boolean {
    return this.console(true)?.name === user;
  }

  unattendedProblem(): string | undefined {
    return this.options.settings.mode === 'on' && !this.console(true) ? NOBODY_AT_CONSOLE : undefined;
  }

  open(req: DisplayRequest): Promise<SessionDisplay | undefined> {
    try {
      return Promise.resolve(this.openNow(req));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private openNow(req: DisplayRequest): SessionDisplay | undefined {
    const { mode } = this.options.settings;
    if (req.runmode === RunMode.v.Unattended) {
      if (mode === 'off') return undefined;
      const console = this.console(false);
      const runAs = req.user?.name ?? this.options.agentUser;
      if (console?.name === runAs) return this.guiSession(console, req.user);
      if (mode === 'auto') return undefined; // no GUI session for it: it runs as before, without one
      throw new Error(console ? `the session user ${runAs} is not the console user ${console.name}` : NOBODY_AT_CONSOLE);
    }
    if (req.runmode !== RunMode.v.Attended) return undefined;
    const console = this.console(false);
    if (!console) throw new Error('nobody is signed in at the console, so the attended session has no GUI session to run in');
    return this.guiSession(console, req.user);
  }

  private guiSession(console: ConsoleUser, user: UserIdentity | undefined): SessionDisplay {
    const agentIsConsole = this.options.agentUid === console.uid;
    const display: SessionDisplay = { env: {}, files: [], screenshot: () => capturePng(screencaptureCommand(console, agentIsConsole)), close: () => Promise.resolve() };
    if (agentIsConsole && !user) return display; // the agent is in that session: the flow inherits it
    if (this.options.agentUid !== 0) throw new Error(`the agent runs as uid ${this.options.agentUid}, neither root nor the console user ${console.name}, so it cannot start a flow in their GUI session`);
    return { ...display, launch: (plan) => inGuiSession(plan, console, user) };
  }

  private console(cached: boolean): ConsoleUser | undefined {
    const now = Date.now();
    if (cached && this.seen && now - this.seen.at < (this.options.cacheMs ?? 5000)) return this.seen.user;
    const user = (this.options.consoleUser ?? readConsoleUser)();
    this.seen = { at: now, user };
    return user;
  }
}

/**
 * The flow's plan started through `launchctl asuser` (macos-session.ts). A run as the session user gets its variables
 * from an env file (the user's, 0600, in the agent's work dir, as on Linux), so root's launchctl and sudo see none.
 */
export function inGuiSession(plan: LaunchPlan, console: ConsoleUser, user: UserIdentity | undefined): LaunchPlan {
  const rest = withoutIds(plan); // launchctl asuser needs root; sudo drops
  if (!user) return { ...rest, ...asConsoleUser(console, undefined, plan) };
  if (!plan.owner || plan.envFile !== undefined) throw new Error('a run as the console user needs its own work dir and the flow itself as the command');
  const envFile = join(plan.workDir, ENV_FILE_NAME);
  const cmd = asConsoleUser(console, { user, envFile }, plan);
  writeOwnedFile(envFile, envFileText(plan.flowEnv), plan.owner);
  return { ...rest, ...cmd, env: {}, envFile };
}

