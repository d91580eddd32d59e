import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, fchownSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, realpathSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Who a work dir's flow ran as (numbers: the user may be gone by the time a restarted agent removes the dir). */
export interface DirOwner {
  readonly uid: number;
  readonly gid: number;
}

/** The flow's own subdir and default cwd: the only place in its work dir where it can create entries. */
export const USER_SUBDIR = 'work';

/** How long removing what a flow left in its subdir may take before it is killed (the dir then stays recorded). */
const REMOVE_AS_USER_MS = 60_000;

/**
 * The work dir of a run as another user: `<tmp>/flowhost-<id>-XXXXXX`, the agent's (0711). The flow can read and
 * write the files it is given but cannot create, rename or replace an entry there, nor rename the dir (the temp dir
 * is sticky), so no path the agent opens or removes passes through anything the flow controls. `recorded` runs
 * before anything is written into it (the store keeps the path for a restarted agent to remove).
 */
export function makeRunAsDir(sessionId: string, owner: DirOwner, recorded: (dir: string) => void): string {
  const dir = mkdtempSync(join(safeTempDir(), `flowhost-${sessionId}-`));
  try {
    recorded(dir);
    chmodSync(dir, 0o711);
    const own = join(dir, USER_SUBDIR);
    mkdirSync(own, { mode: 0o700 });
    chownSync(own, owner.uid, owner.gid);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // nothing has run in it yet
    throw err;
  }
  return dir;
}

let checked: { readonly dir: string; readonly real: string } | undefined;

/**
 * The OS temp dir, once checked: it and each dir above it must be the agent's (or root's) and, when others may write
 * in it, sticky. Otherwise another user could rename the work dir away and make the agent's paths lead elsewhere.
 */
function safeTempDir(): string {
  const dir = tmpdir();
  if (checked?.dir === dir) return checked.real;
  // Its real path: links on the way (macOS /tmp) are resolved once here, not at each use.
  const real = realpathSync(dir);
  for (let at = real; ; at = dirname(at)) {
    const entry = lstatSync(at);
    const writableByOthers = (entry.mode & 0o022) !== 0;
    const trusted = entry.isDirectory() && (entry.uid === 0 || entry.uid === process.getuid?.()) && (!writableByOthers || (entry.mode & 0o1000) !== 0);
    if (!trusted) throw new Error(`the temp dir ${dir} is not safe for work dirs of other users (${at} is another user's, or writable by others and not sticky)`);
    if (at === dirname(at)) break;
  }
  checked = { dir, real };
  return real;
}

/** A new file (0600) in the agent's work dir, given to the session user; never follows or reuses an entry. */
export function writeOwnedFile(path: string, content: string, owner: DirOwner): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const bytes = Buffer.from(content, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes a run-as work dir (after the run, or left by an agent that died). The agent's own entries are unlinked;
 * what the flow left in its subdir is removed by `rm` running as the session user (never a recursive remove with
 * the agent's rights inside a dir the flow owns); then the agent removes the dirs. A path that is no longer a dir
 * this agent's user owns (e.g. the temp dir was cleaned and reused) is left alone: false.
 */
export async function removeRunAsDir(dir: string, owner: DirOwner): Promise<boolean> {
  const entry = lstatSync(dir, { throwIfNoEntry: false });
  if (entry === undefined) return true;
  if (!entry.isDirectory() || entry.uid !== process.getuid?.()) return false;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === USER_SUBDIR) await removeUserSubdir(path, owner);
    else unlinkSync(path);
  }
  rmdirSync(dir);
  return true;
}

async function removeUserSubdir(path: string, owner: DirOwner): Promise<void> {
  try {
    rmdirSync(path); // the common case: the flow left nothing
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
  // The entry is the agent's dir's, so this path is the subdir made for the flow (it cannot swap it for a link).
  chmodSync(path, 0o700);
  await removeContentAs(owner, path);
  rmdirSync(path);
}

/**
 * `rm -rf` of the subdir's content as the session user, with an empty environment. The rm of the subdir itself
 * fails (its parent is the agent's), which is expected: the agent removes it once it is empty.
 */
function removeContentAs(owner: DirOwner, path: string): Promise<void> {
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', 'chmod -R u+rwx -- "$0" 2>/dev/null; exec rm -rf --one-file-system -- "$0" 2>/dev/null', path],
      { uid: owner.uid, gid: owner.gid, env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeout: REMOVE_AS_USER_MS, killSignal: 'SIGKILL' },
      () => resolve(),
    );
  });
}
