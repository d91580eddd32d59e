import type Database from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { WalGroupSync } from '../shared/group-sync.js';

/**
 * shared/group-sync.ts's group commit over node:fs: one fdatasync of `<db>-wal` on the thread pool per turn of the
 * event loop; `fallback` makes the commits durable through SQLite when the WAL file cannot be opened.
 */
export function nodeWalGroupSync(walPath: string, fallback: () => void, o: { readonly startUnsynced?: boolean } = {}): WalGroupSync {
  return new WalGroupSync({ path: walPath, fs: { openSync, fdatasync, fdatasyncSync, closeSync }, fallback, defer: setImmediate, ...(o.startUnsynced ? { startUnsynced: true } : {}) });
}

/**
 * A WAL database's crash-safe commit: synchronous=NORMAL for this one commit (no fsync; the WAL write has reached
 * the OS, so it survives a kill -9 but not yet a power loss), then `committed` tells the group sync, whose one
 * fdatasync later makes it durable. Inside a caller's transaction the level cannot change: that commit decides.
 */
export class CrashSafeCommits {
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
  }

  /** `fn` in one transaction (`immediate`: BEGIN IMMEDIATE, the writer lock at once), committed crash-safe. */
  run<T>(fn: () => T, o: { readonly begin: 'deferred' | 'immediate'; readonly committed: () => void }): T {
    if (this.db.inTransaction) return fn();
    this.syncNormal.run();
    try {
      const transaction = this.db.transaction(fn);
      const result = o.begin === 'immediate' ? transaction.immediate() : transaction();
      o.committed();
      return result;
    } finally {
      this.syncFull.run();
    }
  }
}
