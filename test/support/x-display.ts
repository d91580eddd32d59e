import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import { LinuxDesktop, type LinuxDesktopOptions } from '../../main/agent/runner/desktop/linux-desktop.js';
import { DEFAULT_DISPLAY_SETTINGS } from '../../main/agent/config/display-settings.js';
import { lookupUser } from '../../main/agent/process/session-user.js';
import { isRoot } from './requirements.js';

const tool = (name: string): boolean => ['/usr/bin', '/bin'].some((dir) => existsSync(`${dir}/${name}`));

/** Xvfb, xauth, x11-utils (xwininfo, xmessage), ImageMagick's import and setpriv: what the display tests need. */
export const hasXTools = ['Xvfb', 'xauth', 'xwininfo', 'xmessage', 'import', 'setpriv'].every(tool);
export const X_TOOLS = 'Xvfb (xvfb), xauth, xwininfo and xmessage (x11-utils), import (imagemagick), setpriv';
/** Root, `nobody` and `daemon` (a third user), for runs as another user and a stranger trying to connect. */
export const hasUsers = isRoot && lookupUser('nobody') !== undefined && lookupUser('daemon') !== undefined;

/** A Linux desktop for tests: a small virtual screen; attended sessions see only the given environment, no logind. */
export function testDesktop(o: Partial<LinuxDesktopOptions> = {}): LinuxDesktop {
  return new LinuxDesktop({
    settings: { ...DEFAULT_DISPLAY_SETTINGS, width: 800, height: 600 },
    graphical: { env: {}, agentUser: 'root', loginctl: null },
    ...o,
  });
}

/** Runs `argv` as root or as `uid`; resolves with its exit code and output (never rejects). */
export function runAs(argv: string[], env: Record<string, string>, uid?: number): Promise<{ code: number; out: string }> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    execFile(file as string, args, { env: { PATH: '/usr/bin:/bin', ...env }, timeout: 15_000, ...(uid !== undefined ? { uid, gid: uid } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** RGBA pixels of a PNG, decoded by pngjs. */
export function decodePng(png: Buffer): { width: number; height: number; rgba: (x: number, y: number) => [number, number, number, number] } {
  const img = PNG.sync.read(png);
  return {
    width: img.width,
    height: img.height,
    rgba: (x, y) => {
      const at = (y * img.width + x) * 4;
      return [img.data[at] as number, img.data[at + 1] as number, img.data[at + 2] as number, img.data[at + 3] as number];
    },
  };
}

/** Waits (inside the flow, on its own display) until a window titled $1 is mapped; exit 3 after ~10 s. */
export const WAIT_WINDOW = 'wait_window() { i=0; until xwininfo -root -tree | grep -q "\\"$1\\""; do i=$((i+1)); [ $i -gt 100 ] && exit 3; sleep 0.1; done; }\n';

/** A pixel of an `xmessage -bg red -fg red` window. */
export const isRed = ([r, g, b]: [number, number, number, number]): boolean => r > 200 && g < 60 && b < 60;

/** Whether an X server still serves display `:number` (its socket file is there). */
export const displaySocketExists = (number: number): boolean => existsSync(`/tmp/.X11-unix/X${number}`);
