import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { UserIdentity } from '../../process/session-user.js';
import { runAsArgs } from '../flow-launch.js';
import type { DisplaySettings } from '../../config/display-settings.js';

export interface XvfbRequest {
  readonly sessionId: string;
  readonly xvfb: string;
  /** The X authority file Xvfb loads (x-authority.ts); its cookie is the only way in. */
  readonly authFile: string;
  readonly settings: DisplaySettings;
  /** Run as this user; undefined = the agent's own. */
  readonly user?: UserIdentity;
  /** util-linux setpriv (uid, gid and groups); null = Node's uid/gid. */
  readonly setpriv: string | null;
  /** Xvfb's pid, as soon as it is spawned: the store records it so a restarted agent can end it. */
  readonly spawned: (pid: number) => void;
  /** How long Xvfb may take to report its display. Default 10 s. */
  readonly startTimeoutMs?: number;
}

/** A running Xvfb of one session. */
export interface XvfbServer {
  readonly pid: number;
  /** The display number Xvfb chose (`:<number>`). */
  readonly number: number;
  /** SIGTERM to its group (Xvfb removes its socket and lock), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const X11_SOCKET_DIR = '/tmp/.X11-unix';

/**
 * Starts Xvfb as the session user on a display number of its own choosing: `-displayfd` makes Xvfb try numbers until
 * it holds one (its lock file and socket are created atomically) and write it to fd 3 once it accepts connections,
 * so two sessions never race for a number. `-auth` turns access control on with the session's cookie; no TCP.
 * Spawned detached (its own process group) with FLOWHOST_SESSION_ID in its environment, which is how recovery knows
 * a leftover Xvfb is this session's (process/session-group.ts).
 */
export async function startXvfb(req: XvfbRequest): Promise<XvfbServer> {
  ensureSocketDir();
  const { width, height, depth } = req.settings;
  const xArgs = ['-displayfd', '3', '-auth', req.authFile, '-nolisten', 'tcp', '-noreset', '-screen', '0', `${width}x${height}x${depth}`];
  const viaSetpriv = req.user !== undefined && req.setpriv !== null;
  const file = viaSetpriv ? (req.setpriv as string) : req.xvfb;
  const args = viaSetpriv ? [...runAsArgs(req.user as UserIdentity), req.xvfb, ...xArgs] : xArgs;
  const child = spawn(file, args, {
    // Nothing of the agent's environment: setpriv is root until it drops, and the loader honours LD_* of its env.
    env: { FLOWHOST_SESSION_ID: req.sessionId },
    cwd: '/',
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    ...(req.user && !viaSetpriv ? { uid: req.user.uid, gid: req.user.gid } : {}),
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.once('error', () => undefined); // reported through 'exit' / the missing pid below
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Xvfb could not be started (${req.xvfb})`);
  req.spawned(pid);
  const stop = (graceMs = 2000) => stopGroup(child, pid, exited, graceMs);
  try {
    const number = await displayNumber(child, exited, req.startTimeoutMs ?? 10_000);
    return { pid, number, stop };
  } catch (err) {
    await stop(0);
    throw err;
  }
}

/** Reads the number Xvfb writes to fd 3 when ready; rejects with its stderr when it exits or times out first. */
function displayNumber(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<number> {
  const fd3 = child.stdio[3] as Readable;
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display within ${timeoutMs} ms: ${lastLines(stderr)}`)), timeoutMs);
    fd3.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const line = /^(\d{1,5})\n/.exec(text);
      if (!line) return;
      clearTimeout(timer);
      resolve(Number(line[1]));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited before its display was ready: ${lastLines(stderr)}`));
    });
  }).finally(() => {
    // Its diagnostics are not read further: a chatty X server must not fill a pipe nobody drains.
    child.stderr?.resume();
    fd3.resume();
  }) as Promise<number>;
}

async function stopGroup(child: ChildProcess, pid: number, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  if ((await Promise.race([exited, late])) === 'late') {
    signal(pid, 'SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

function signal(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

/**
 * Xvfb run by a user makes the socket dir itself when it is missing, and then that user owns every display's socket
 * dir. So an agent running as root makes it first, root's and sticky, as the X server expects; a dir in another user's
 * hands is refused.
 */
function ensureSocketDir(): void {
  if (process.getuid?.() !== 0) return;
  const entry = lstatSync(X11_SOCKET_DIR, { throwIfNoEntry: false });
  if (entry === undefined) {
    mkdirSync(X11_SOCKET_DIR, { mode: 0o1777 });
    chmodSync(X11_SOCKET_DIR, 0o1777); // the umask removed bits from mkdir's mode
    return;
  }
  if (!entry.isDirectory() || entry.uid !== 0 || (entry.mode & 0o1000) === 0) {
    throw new Error(`${X11_SOCKET_DIR} must be a sticky directory owned by root; it is not, so no virtual display is started`);
  }
}

const lastLines = (text: string): string => text.trim().split('\n').slice(-3).join(' | ').slice(0, 500) || 'no message';
