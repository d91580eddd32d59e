import { spawn } from 'node:child_process';
import type { UserIdentity } from '../../process/session-user.js';
import { runAsArgs } from '../flow-launch.js';
import type { ScreenshotResult } from './session-display.js';

export interface ScreenshotRequest {
  /** ImageMagick's `import`. */
  readonly importPath: string;
  /** DISPLAY and XAUTHORITY of the display to picture. */
  readonly display: { readonly DISPLAY: string; readonly XAUTHORITY?: string };
  /** Who may connect to that display (the session user); undefined = the agent's own user. */
  readonly user?: UserIdentity;
  readonly setpriv: string | null;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest PNG kept. Default MAX_SCREENSHOT_BYTES. */
  readonly maxBytes?: number;
}

/** An 8192×8192 screen of noise compresses to about this; a real desktop is far smaller. */
export const MAX_SCREENSHOT_BYTES = 32 * 1024 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A command that writes a PNG (or its base64, `base64: true`) to stdout; built by the OS's desktop module. */
export interface CaptureCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Its whole environment (nothing of the agent's). */
  readonly env: Readonly<Record<string, string>>;
  /** Node's uid/gid for the process (no setpriv); undefined = the agent's own. */
  readonly uid?: number;
  readonly gid?: number;
  /** stdout is base64 text (PowerShell writes text, not bytes). */
  readonly base64?: boolean;
}

/**
 * The ImageMagick command for a display's root window, running as the session user (the authority file is the flow's
 * to change, so it is never read with more rights), with only PATH, DISPLAY and XAUTHORITY.
 */
export function importCommand(req: ScreenshotRequest): CaptureCommand {
  const viaSetpriv = req.user !== undefined && req.setpriv !== null;
  const importArgs = ['-silent', '-window', 'root', 'png:-'];
  const file = viaSetpriv ? (req.setpriv as string) : req.importPath;
  const args = viaSetpriv ? [...runAsArgs(req.user as UserIdentity), req.importPath, ...importArgs] : importArgs;
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', DISPLAY: req.display.DISPLAY, ...(req.display.XAUTHORITY ? { XAUTHORITY: req.display.XAUTHORITY } : {}) };
  return { file, args, env, ...(req.user && !viaSetpriv ? { uid: req.user.uid, gid: req.user.gid } : {}) };
}

/** A PNG of a display's root window by ImageMagick's `import` (importCommand); never throws. */
export function takeScreenshot(req: ScreenshotRequest): Promise<ScreenshotResult> {
  return capturePng(importCommand(req), req);
}

/**
 * Runs a capture command and reads its PNG from a pipe: capped, timed, checked to start as a PNG. Never throws: the
 * reason is returned when there is no picture.
 */
export function capturePng(cmd: CaptureCommand, limits: { readonly timeoutMs?: number; readonly maxBytes?: number } = {}): Promise<ScreenshotResult> {
  const cap = limits.maxBytes ?? MAX_SCREENSHOT_BYTES;
  // base64 is 4/3 of the bytes, plus line breaks.
  const readCap = cmd.base64 ? Math.ceil((cap * 4) / 3) + 4096 : cap;
  const timeoutMs = limits.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd.file, [...cmd.args], {
        env: { ...cmd.env },
        cwd: process.platform === 'win32' ? undefined : '/',
        detached: process.platform !== 'win32',
        windowsHide: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(cmd.uid !== undefined && cmd.gid !== undefined ? { uid: cmd.uid, gid: cmd.gid } : {}),
      });
    } catch (err) {
      resolve({ ok: false, reason: `the screenshot tool could not start: ${(err as Error).message}` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    let stderr = '';
    const stop = (why: string) => {
      failure ??= why;
      try {
        if (process.platform === 'win32') child.kill();
        else if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ended already
      }
    };
    const timer = setTimeout(() => stop(`the screenshot took longer than ${timeoutMs} ms`), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > readCap) return stop(`the screenshot is larger than ${cap} bytes`);
      chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-1000)));
    child.once('error', (err) => stop(`the screenshot tool failed: ${err.message}`));
    child.once('close', (code) => {
      clearTimeout(timer);
      const out = Buffer.concat(chunks);
      const png = cmd.base64 ? Buffer.from(out.toString('latin1').replace(/\s+/g, ''), 'base64') : out;
      if (failure) return resolve({ ok: false, reason: failure });
      if (code !== 0) return resolve({ ok: false, reason: `the screenshot tool exited with code ${code}: ${stderr.trim().slice(0, 300) || 'no message'}` });
      if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) return resolve({ ok: false, reason: 'the screenshot tool did not write a PNG' });
      resolve({ ok: true, png });
    });
  });
}
