import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

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
