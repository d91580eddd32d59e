import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** POSIX identity of a user the agent may run flows as. */
export interface UserIdentity {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary group ids (including the primary group, as `id -G` lists them). */
  readonly groups: readonly number[];
  readonly home: string;
  readonly shell?: string;
}

/** Portable POSIX user names; also keeps a name from being read as an option of `id`. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}\$?$/;

/** Whether `name` is a portable POSIX user name (never an option, never a path): checked before it goes into argv. */
export const isPosixUserName = (name: string): boolean => USER_NAME.test(name);

let me: string | undefined;

export function currentUser(): string {
  // Asked for every session: os.userInfo() reads the passwd entry on each call, and the agent's user does not change.
  return (me ??= userInfo().username);
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Looks a user up with `id` (argv, no shell) and its passwd entry; undefined when there is no such user. */
export function lookupUser(name: string): UserIdentity | undefined {
  if (process.platform === 'win32' || !USER_NAME.test(name)) return undefined;
  const id = (flag: string): string | undefined => {
    try {
      return execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    } catch {
      return undefined;
    }
  };
  const uid = id('-u');
  const gid = id('-g');
  if (uid === undefined || gid === undefined) return undefined;
  const groups = (id('-G') ?? gid).split(/\s+/).filter(Boolean).map(Number);
  const entry = passwdEntry(name);
  return { name, uid: Number(uid), gid: Number(gid), groups, home: entry?.home ?? `/home/${name}`, ...(entry?.shell ? { shell: entry.shell } : {}) };
}

/** Home and shell from `getent passwd` (NSS: LDAP etc.), else /etc/passwd. */
function passwdEntry(name: string): { home: string; shell: string } | undefined {
  let text: string | undefined;
  try {
    text = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    try {
      text = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find((l) => l.split(':')[0] === name);
  const fields = line?.split(':');
  return fields && fields.length >= 7 ? { home: fields[5] as string, shell: fields[6] as string } : undefined;
}

/** POSIX: the user exists and (we are root or it is us). */
export function canRunAs(user: string): { ok: true } | { ok: false; reason: string } {
  if (user === currentUser()) return { ok: true };
  if (process.platform === 'win32') {
    return { ok: false, reason: `running as '${user}' needs CreateProcessAsUser, which this agent does not support on Windows yet` };
  }
  if (!USER_NAME.test(user)) return { ok: false, reason: `'${user}' is not a valid user name` };
  if (!lookupUser(user)) return { ok: false, reason: `no such user '${user}' on this machine` };
  if (!isRoot()) return { ok: false, reason: `the agent runs as '${currentUser()}', not root, so it cannot run flows as '${user}'` };
  return { ok: true };
}
