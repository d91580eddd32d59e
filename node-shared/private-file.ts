import * as fs from 'node:fs';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDbFiles, ensurePrivateDir, type PrivateStorageHost } from '../shared/private-storage.js';

export { PrivateStorageError } from '../shared/private-storage.js';

/** shared/private-storage.ts's host: node:fs, this process's platform and uid. */
const storageHost = (warn: (message: string) => void): PrivateStorageHost => ({ fs, platform: process.platform, uid: process.getuid?.(), warn });

/** A program's data dir, 0700 (created, or fixed with a warning when we own it); throws PrivateStorageError. */
export function preparePrivateDataDir(dir: string, warn: (message: string) => void): void {
  ensurePrivateDir(dir, storageHost(warn));
}

/** A SQLite file and its WAL/SHM 0600, the file created so before SQLite opens it (see shared/private-storage.ts). */
export function preparePrivateDbFiles(file: string, warn: (message: string) => void = () => undefined): void {
  ensurePrivateDbFiles(file, storageHost(warn));
}

/** POSIX permission bits of the file that are wider than 0600, or 0 (always 0 on Windows). */
export function excessPermissions(file: string, platform: NodeJS.Platform = process.platform): number {
  if (platform === 'win32') return 0;
  return statSync(file).mode & 0o077;
}

/** `(mode 0644)` of a secret file group or others may read, for a warning; undefined when they may not or it cannot be read. */
export function sharedFileMode(file: string): string | undefined {
  try {
    const wide = excessPermissions(file);
    return wide ? `(mode 0${(statSync(file).mode & 0o777).toString(8)})` : undefined;
  } catch {
    return undefined; // reading it says what is wrong
  }
}

/**
 * Replaces `file` atomically with `data`, readable by its owner only: a 0600 temp file in the same folder,
 * fsync, rename over the target. A failed write removes the temp file and leaves the target as it was.
 */
export function writePrivateFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  // 'wx' + mode: the file is created 0600 before any byte of the secret is written (umask can only remove bits).
  const fd = openSync(temp, 'wx', 0o600);
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, file);
}
