import { accessSync, constants, statfsSync } from 'node:fs';

export type StorageHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Default free space the data dir must keep for the agent to take new sessions (running ones may use it up). */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1_048_576;

const mib = (bytes: number) => `${Math.floor(bytes / 1_048_576)} MiB`;

/**
 * Whether the data dir can take new work: writable (a read-only mount says EROFS) and with at least `minFreeBytes`
 * free for unprivileged users. Two cheap syscalls, so it runs on every scheduling decision and state frame: the
 * agent refuses work *before* SQLite hits SQLITE_FULL, when a running session's log lines could no longer be kept.
 */
export function probeStorage(dir: string, minFreeBytes: number): StorageHealth {
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, reason: `the data dir ${dir} is not writable (${code})` };
  }
  if (minFreeBytes <= 0) return { ok: true };
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    if (free < minFreeBytes) return { ok: false, reason: `the data dir ${dir} has ${mib(free)} free, below the ${mib(minFreeBytes)} the agent keeps for running sessions` };
  } catch (err) {
    return { ok: false, reason: `cannot check free space of the data dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  return { ok: true };
}
