/**
 * The rule both programs apply to where they keep secrets (the agent's and the orchestrator's data dir and SQLite
 * files): the dir 0700, the database, its WAL and SHM 0600. A flow runs as another user on the same machine and must
 * read none of them. Each program injects node:fs (this folder stays pure); POSIX only, a no-op on Windows (ACLs).
 */

/** The file-system calls the rule needs: node:fs satisfies it. */
export interface PrivateStorageFs {
  mkdirSync(path: string, options: { recursive: true; mode: number }): unknown;
  statSync(path: string): { readonly mode: number; readonly uid: number; isDirectory(): boolean };
  chmodSync(path: string, mode: number): void;
  openSync(path: string, flags: string, mode: number): number;
  closeSync(fd: number): void;
}

export interface PrivateStorageHost {
  readonly fs: PrivateStorageFs;
  readonly platform: string;
  /** This process's uid (undefined on Windows). */
  readonly uid: number | undefined;
  /** Told when a mode was tightened (a log line). */
  readonly warn: (message: string) => void;
}

/** A data dir that cannot be made private: the message names the dir and what to do. */
export class PrivateStorageError extends Error {
  override readonly name = 'PrivateStorageError';
}

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** SQLite's companions of a WAL database; its unix VFS creates them with the main file's mode. */
const SQLITE_COMPANIONS = ['-wal', '-shm', '-journal'] as const;

const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;
const errorCode = (err: unknown): string | undefined => (typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined);

/**
 * Creates `dir` 0700, or makes an existing one 0700 when this process owns it (with a warning); refuses a dir that
 * others may enter and this process does not own (or cannot chmod).
 */
export function ensurePrivateDir(dir: string, host: PrivateStorageHost): void {
  host.fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (host.platform === 'win32') return;
  const st = host.fs.statSync(dir);
  if (!st.isDirectory()) throw new PrivateStorageError(`data dir ${dir} is not a directory`);
  if ((st.mode & 0o077) === 0) return;
  const fix = `chmod 700 '${dir}' as its owner, or choose another data dir`;
  if (host.uid !== undefined && st.uid !== host.uid) {
    throw new PrivateStorageError(`data dir ${dir} has mode ${octal(st.mode)} (others may read it) and belongs to uid ${st.uid}, not to this process (uid ${host.uid}): ${fix}`);
  }
  try {
    host.fs.chmodSync(dir, PRIVATE_DIR_MODE);
  } catch (err) {
    throw new PrivateStorageError(`data dir ${dir} has mode ${octal(st.mode)} (others may read it) and cannot be made 0700 (${errorCode(err) ?? String(err)}): ${fix}`);
  }
  host.warn(`data dir ${dir} had mode ${octal(st.mode)}; set it to 0700 (it holds secrets no flow or other user may read)`);
}

/**
 * Before SQLite opens `file`: creates it empty 0600 when missing (so its WAL and SHM are born 0600 too) and makes the
 * file and any WAL, SHM or journal left by an earlier start 0600.
 */
export function ensurePrivateDbFiles(file: string, host: Omit<PrivateStorageHost, 'uid'>): void {
  if (host.platform === 'win32' || file === ':memory:' || file === '') return;
  // 'a': create when missing, never truncate; the mode applies only to a file this call creates.
  host.fs.closeSync(host.fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, ...SQLITE_COMPANIONS.map((suffix) => `${file}${suffix}`)]) {
    let mode: number;
    try {
      mode = host.fs.statSync(path).mode;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue;
      throw err;
    }
    if ((mode & 0o077) === 0) continue;
    host.fs.chmodSync(path, PRIVATE_FILE_MODE);
    host.warn(`${path} had mode ${octal(mode)}; set it to 0600`);
  }
}
