import { spawn } from 'node:child_process';
import type { UserIdentity } from '../../process/session-user.js';
import { runAsArgs } from '../flow-launch.js';

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

/**
 * A PNG of a display's root window, taken by ImageMagick's `import` running as the session user (the authority file
 * is the flow's to change, so it is never read with more rights). Written to a pipe, capped, checked to start as a
 * PNG. Never throws: the reason is returned when there is no picture.
 */
export function takeScreenshot(req: ScreenshotRequest): Promise<{ ok: true; png: Buffer } | { ok: false; reason: string }> {
  const cap = req.maxBytes ?? MAX_SCREENSHOT_BYTES;
  const viaSetpriv = req.user !== undefined && req.setpriv !== null;
  const importArgs = ['-silent', '-window', 'root', 'png:-'];
  const file = viaSetpriv ? (req.setpriv as string) : req.importPath;
  const args = viaSetpriv ? [...runAsArgs(req.user as UserIdentity), req.importPath, ...importArgs] : importArgs;
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', DISPLAY: req.display.DISPLAY, ...(req.display.XAUTHORITY ? { XAUTHORITY: req.display.XAUTHORITY } : {}) };
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { env, cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(req.user && !viaSetpriv ? { uid: req.user.uid, gid: req.user.gid } : {}) });
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
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ended already
      }
    };
    const timer = setTimeout(() => stop(`the screenshot took longer than ${req.timeoutMs ?? 10_000} ms`), req.timeoutMs ?? 10_000);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) return stop(`the screenshot is larger than ${cap} bytes`);
      chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-1000)));
    child.once('error', (err) => stop(`the screenshot tool failed: ${err.message}`));
    child.once('close', (code) => {
      clearTimeout(timer);
      const png = Buffer.concat(chunks);
      if (failure) return resolve({ ok: false, reason: failure });
      if (code !== 0) return resolve({ ok: false, reason: `the screenshot tool exited with code ${code}: ${stderr.trim().slice(0, 300) || 'no message'}` });
      if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) return resolve({ ok: false, reason: 'the screenshot tool did not write a PNG' });
      resolve({ ok: true, png });
    });
  });
}
