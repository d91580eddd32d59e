import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunMode } from '../../../../shared/option-sets.js';
import type { DisplaySettings } from '../../config/display-settings.js';
import { findGraphicalSession, type GraphicalEnv, type GraphicalSessionSource } from './graphical-session.js';
import { takeScreenshot } from './screenshot.js';
import type { DisplayRequest, ScreenshotResult, SessionDesktop, SessionDisplay } from './session-display.js';
import { writeXAuthority } from './x-authority.js';
import { startXvfb } from './xvfb.js';

export interface LinuxDesktopOptions {
  readonly settings: DisplaySettings;
  /** Where attended sessions find the signed-in user's display. */
  readonly graphical: GraphicalSessionSource;
  /** Tool paths; default: found in /usr/bin or /bin. null = not installed. */
  readonly xvfbPath?: string | null;
  readonly xauthPath?: string | null;
  readonly importPath?: string | null;
  readonly setprivPath?: string | null;
  /** How long a found (or missing) graphical session is believed, for the scheduling state. Default 5 s. */
  readonly attendedCacheMs?: number;
}

/** The authority file's name in the session's work dir. */
export const XAUTHORITY_FILE = 'Xauthority';

/**
 * Linux: an Unattended session gets a private Xvfb (started as the session user, its own cookie, ended with the
 * session); an Attended one the signed-in user's X11 or Wayland session; a Local run the agent's own environment.
 */
export class LinuxDesktop implements SessionDesktop {
  private readonly tools: { xvfb: string | null; xauth: string | null; import: string | null; setpriv: string | null };
  private attendedSeen: { user: string; at: number; env: GraphicalEnv | undefined } | undefined;

  constructor(private readonly options: LinuxDesktopOptions) {
    this.tools = {
      xvfb: options.xvfbPath === undefined ? findTool('Xvfb') : options.xvfbPath,
      xauth: options.xauthPath === undefined ? findTool('xauth') : options.xauthPath,
      import: options.importPath === undefined ? findTool('import') : options.importPath,
      setpriv: options.setprivPath === undefined ? findTool('setpriv') : options.setprivPath,
    };
  }

  /** Whether unattended sessions get a virtual display: `on`, or `auto` with Xvfb and xauth installed. */
  get virtualDisplays(): boolean {
    const { mode } = this.options.settings;
    return mode === 'on' || (mode === 'auto' && this.tools.xvfb !== null && this.tools.xauth !== null);
  }

  unattendedProblem(): string | undefined {
    if (this.options.settings.mode !== 'on' || (this.tools.xvfb !== null && this.tools.xauth !== null)) return undefined;
    return 'virtualDisplay is on but Xvfb or xauth is not installed (Debian: apt-get install xvfb xauth)';
  }

  attendedAvailable(user: string): boolean {
    return this.graphicalSession(user, true) !== undefined;
  }

  async open(req: DisplayRequest): Promise<SessionDisplay | undefined> {
    if (req.runmode === RunMode.v.Unattended) return this.virtualDisplays ? this.openXvfb(req) : undefined;
    if (req.runmode !== RunMode.v.Attended) return undefined;
    const user = req.user?.name ?? this.options.graphical.agentUser;
    const env = this.graphicalSession(user, false);
    if (!env) throw new Error(`${user} has no graphical session on this machine now, so the attended session has no display`);
    return { env, files: [], screenshot: () => this.picture(env, req), close: () => Promise.resolve() };
  }

  private graphicalSession(user: string, cached: boolean): GraphicalEnv | undefined {
    const seen = this.attendedSeen;
    const now = Date.now();
    if (cached && seen?.user === user && now - seen.at < (this.options.attendedCacheMs ?? 5000)) return seen.env;
    const env = findGraphicalSession(user, this.options.graphical);
    this.attendedSeen = { user, at: now, env };
    return env;
  }

  private async openXvfb(req: DisplayRequest): Promise<SessionDisplay> {
    const { xvfb, xauth } = this.tools;
    if (!xvfb || !xauth) throw new Error(this.unattendedProblem());
    const authFile = join(req.workDir, XAUTHORITY_FILE);
    await writeXAuthority(xauth, authFile, req.user);
    const server = await startXvfb({
      sessionId: req.sessionId,
      xvfb,
      authFile,
      settings: this.options.settings,
      ...(req.user ? { user: req.user } : {}),
      setpriv: this.tools.setpriv,
      spawned: req.recordServer,
    });
    const env = { DISPLAY: `:${server.number}`, XAUTHORITY: authFile };
    let closing: Promise<void> | undefined;
    return { env, files: [authFile], screenshot: () => this.picture(env, req), close: () => (closing ??= server.stop()) };
  }

  private picture(env: GraphicalEnv, req: DisplayRequest): Promise<ScreenshotResult> {
    const display = env['DISPLAY'];
    if (!display) return Promise.resolve({ ok: false, reason: 'the display is Wayland only; flowhost takes pictures of X11 displays' });
    if (!this.tools.import) return Promise.resolve({ ok: false, reason: "ImageMagick's import is not installed (Debian: apt-get install imagemagick)" });
    const auth = env['XAUTHORITY'];
    return takeScreenshot({ importPath: this.tools.import, display: { DISPLAY: display, ...(auth ? { XAUTHORITY: auth } : {}) }, ...(req.user ? { user: req.user } : {}), setpriv: this.tools.setpriv });
  }
}

function findTool(name: string): string | null {
  return ['/usr/bin', '/bin', '/usr/sbin'].map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
}
