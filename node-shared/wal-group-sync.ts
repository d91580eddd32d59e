import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { WalGroupSync } from '../shared/group-sync.js';

/**
 * shared/group-sync.ts's group commit over node:fs: one fdatasync of `<db>-wal` on the thread pool per turn of the
 * event loop; `fallback` makes the commits durable through SQLite when the WAL file cannot be opened.
 */
export function nodeWalGroupSync(walPath: string, fallback: () => void, o: { readonly startUnsynced?: boolean } = {}): WalGroupSync {
  return new WalGroupSync({ path: walPath, fs: { openSync, fdatasync, fdatasyncSync, closeSync }, fallback, defer: setImmediate, ...(o.startUnsynced ? { startUnsynced: true } : {}) });
}
