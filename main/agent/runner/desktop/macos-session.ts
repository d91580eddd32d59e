import { execFileSync } from 'node:child_process';
import { isPosixUserName, type UserIdentity } from '../../process/session-user.js';
import { withEnvFile } from '../env-file.js';
import type { CaptureCommand } from './screenshot.js';

/**
 * macOS: who sits at the console, and the command lines that reach their GUI session (docs/desktop.md, "macOS").
 * Pure builders (tested on Linux) and one thin OS call (`readConsoleUser`).
 */

/** The user whose GUI (Aqua) session owns the console. */
export interface ConsoleUser {
  readonly name: string;
  readonly uid: number;
}

const LAUNCHCTL = '/bin/launchctl';
const SUDO = '/usr/bin/sudo';
const STAT = '/usr/bin/stat';
/** Owners of /dev/console that are not a signed-in person: the login window (root) and Setup Assistant. */
const NOBODY_AT_CONSOLE = new Set(['root', 'loginwindow', '_mbsetupuser']);

/** `stat -f '%u %Su' /dev/console` → the console user; undefined at the login window or on output it does not expect. */
export function parseConsoleOwner(text: string): ConsoleUser | undefined {
  const match = /^(\d{1,10}) (\S+)\n?$/.exec(text);
  if (!match) return undefined;
  const uid = Number(match[1]);
  const name = match[2] as string;
  if (uid === 0 || NOBODY_AT_CONSOLE.has(name) || !isPosixUserName(name)) return undefined;
  return { name, uid };
}

/** The owner of /dev/console now (the documented way to ask; `scutil`'s State:/Users/ConsoleUser says the same). */
export function readConsoleUser(): ConsoleUser | undefined {
  try {
    const out = execFileSync(STAT, ['-f', '%u %Su', '/dev/console'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, env: { PATH: '/usr/bin:/bin' } });
    return parseConsoleOwner(out);
  } catch {
    return undefined;
  }
}

/** A command as spawn takes it. */
export interface Command {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * `file args…` inside the console user's GUI session, started by the root agent: `launchctl asuser <uid>` runs it in
 * that user's bootstrap namespace (where the window server and their per-user services are); with `runAs` (a session
 * user: it must be the console user, checked by the caller) `sudo -n -u <name>` then drops to them and a shell reads
 * the flow's variables from `envFile` (sudo resets the environment; nothing secret is in argv). Without `runAs` the
 * command runs as the agent's own user (root), as attended runs do on every OS.
 */
export function asConsoleUser(console: ConsoleUser, runAs: { readonly user: UserIdentity; readonly envFile: string } | undefined, cmd: Command): Command {
  if (!isPosixUserName(console.name) || !Number.isInteger(console.uid) || console.uid <= 0) throw new Error(`'${console.name.slice(0, 64)}' is not a console user flowhost starts flows for`);
  const asuser = ['asuser', String(console.uid)];
  if (!runAs) return { file: LAUNCHCTL, args: [...asuser, cmd.file, ...cmd.args] };
  if (runAs.user.name !== console.name || runAs.user.uid !== console.uid) throw new Error(`the session user ${runAs.user.name} is not the console user ${console.name}`);
  return { file: LAUNCHCTL, args: [...asuser, SUDO, '-n', '-u', console.name, '--', ...withEnvFile(runAs.envFile, cmd.file, cmd.args)] };
}

/**
 * screencapture (silent, PNG) run in the console user's session as that user, into a private temp dir of theirs,
 * then `cat` to the agent's pipe: nothing of theirs is read with the agent's rights. The user's Screen Recording
 * permission decides what the picture shows (docs/desktop.md).
 */
const SHOT = 'd=$(/usr/bin/mktemp -d) || exit 1; /usr/sbin/screencapture -x -t png "$d/s.png" && /bin/cat "$d/s.png"; s=$?; /bin/rm -rf "$d"; exit $s';
const SHOT_ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' };

export function screencaptureCommand(console: ConsoleUser, agentIsConsoleUser: boolean): CaptureCommand {
  if (agentIsConsoleUser) return { file: '/bin/sh', args: ['-c', SHOT], env: SHOT_ENV };
  if (!isPosixUserName(console.name) || !Number.isInteger(console.uid) || console.uid <= 0) throw new Error(`'${console.name.slice(0, 64)}' is not a console user flowhost pictures`);
  return { file: LAUNCHCTL, args: ['asuser', String(console.uid), SUDO, '-n', '-u', console.name, '--', '/bin/sh', '-c', SHOT], env: SHOT_ENV };
}
