import { RunMode } from '../../../../shared/option-sets.js';
import type { DisplaySettings } from '../../config/display-settings.js';
import type { LaunchPlan } from '../flow-launch.js';
import { withoutIds } from './gui-launch.js';
import { capturePng } from './screenshot.js';
import type { DisplayRequest, SessionDesktop, SessionDisplay } from './session-display.js';
import { inConsoleSession, queryWindowsConsoleUser, windowsScreenshotCommand } from './windows-session.js';

export interface WindowsDesktopOptions {
  /** `on`: unattended sessions need a session of their own (unavailable until credentials can be read); auto/off: they run as before. */
  readonly settings: Pick<DisplaySettings, 'mode'>;
  /** The agent runs inside the console session (the tray app, `SESSIONNAME=Console`): flows inherit it. */
  readonly inConsoleSession: boolean;
  /** The agent's environment (SystemRoot & co. for PowerShell). */
  readonly env: NodeJS.ProcessEnv;
  /** Who is signed in at the console; default: WMI's Win32_ComputerSystem.UserName through PowerShell. */
  readonly consoleUser?: () => Promise<string | undefined>;
  /** How long an answer is believed for the scheduling state. Default 15 s: each question starts PowerShell. */
  readonly cacheMs?: number;
}

/** Why Windows cannot serve unattended sessions their own session yet (docs/desktop.md, "Windows"). */
export const NO_CREDENTIAL_STORE =
  "unattended sessions on Windows run in a new session signed in as the session user, which needs that account's password (LogonUser); flowhost keeps connection credentials write-only and has no store the agent can read them from yet";

/**
 * Windows: Attended runs in the active console session as its signed-in user (the launcher in windows-session.ts:
 * WTSGetActiveConsoleSessionId → WTSQueryUserToken → CreateProcessAsUser on winsta0\default), never as the service's
 * LocalSystem on a user's desktop. Unattended in a new session of its own is the design; it needs the session user's
 * credential, which the agent cannot read yet, so with `virtualDisplay on` it is reported unavailable. Reviewed, not
 * run here: the command lines are tested on Linux (test/unit/main/agent/runner/desktop/).
 */
export class WindowsDesktop implements SessionDesktop {
  private known: { at: number; user: string | undefined } | undefined;
  private asking: Promise<string | undefined> | undefined;

  constructor(private readonly options: WindowsDesktopOptions) {}

  attendedAvailable(user: string): boolean {
    const known = this.known;
    if (!known || Date.now() - known.at >= (this.options.cacheMs ?? 15_000)) void this.ask();
    return known?.user === user;
  }

  unattendedProblem(): string | undefined {
    return this.options.settings.mode === 'on' ? NO_CREDENTIAL_STORE : undefined;
  }

  async open(req: DisplayRequest): Promise<SessionDisplay | undefined> {
    if (req.runmode === RunMode.v.Unattended) {
      if (this.options.settings.mode === 'on') throw new Error(NO_CREDENTIAL_STORE);
      return undefined;
    }
    if (req.runmode !== RunMode.v.Attended) return undefined;
    const user = await this.ask();
    if (!user) throw new Error('nobody is signed in to the console session, so the attended session has no desktop to run on');
    const { env, inConsoleSession: inConsole } = this.options;
    const display: SessionDisplay = { env: {}, files: [], screenshot: () => capturePng(windowsScreenshotCommand(inConsole, env)), close: () => Promise.resolve() };
    return inConsole ? display : { ...display, launch: (plan) => inConsoleUserSession(plan, env) };
  }

  /** The console user now (one question at a time). */
  private ask(): Promise<string | undefined> {
    this.asking ??= (this.options.consoleUser ?? (() => queryWindowsConsoleUser(this.options.env)))()
      .catch(() => undefined)
      .then((user) => {
        this.known = { at: Date.now(), user };
        this.asking = undefined;
        return user;
      });
    return this.asking;
  }
}

/** The flow's plan started by the launcher in the console session; its variables travel in the launcher's environment. */
export function inConsoleUserSession(plan: LaunchPlan, agentEnv: NodeJS.ProcessEnv): LaunchPlan {
  return { ...withoutIds(plan), ...inConsoleSession([plan.file, ...plan.args], plan.cwd, plan.env, agentEnv) };
}
