import type Database from 'better-sqlite3';
import type { WalGroupSync } from '../../../shared/group-sync.js';
import { CrashSafeCommits, nodeWalGroupSync } from '../../../node-shared/wal-group-sync.js';
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.js';

/**
 * The agent store's connection (WAL): statements prepared once per SQL text, and the strengths of commit.
 * - `durable`: synchronous=FULL, the commit waits for fsync; it survives a power loss.
 * - `crashSafe`: synchronous=NORMAL, no fsync; the WAL write has reached the OS when it returns, so it survives a
 *   crash or kill -9 of the agent but may roll back on a power loss or OS crash. The WAL is written in order, so an
 *   fsync of it (a later durable commit, or `sync`) makes every earlier commit durable too.
 * - `sync`: one fsync (fdatasync, as SQLite does) of the WAL on the thread pool for all crash-safe commits made so
 *   far; callers in the same turn of the event loop share it (group commit, shared/group-sync.ts), and the event
 *   loop does not wait for the disk.
 * After each commit the WAL checkpointer (`wal-checkpointer.ts`) is asked to checkpoint on its own thread.
 */
export class StoreDb {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly commits: CrashSafeCommits;
  private readonly group: WalGroupSync;
  private readonly checkpointer: WalCheckpointer;

  constructor(
    readonly db: Database.Database,
    checkpoint: Omit<WalCheckpointerOptions, 'file'> = {},
  ) {
    this.checkpointer = new WalCheckpointer({ ...checkpoint, file: db.name });
    this.commits = new CrashSafeCommits(db);
    // No WAL file to sync (it cannot be opened): a durable write fsyncs it through SQLite.
    const fallback = () => this.durable(() => this.sql(`UPDATE meta SET value = value WHERE key = 'last_seq'`).run());
    this.group = nodeWalGroupSync(`${db.name}-wal`, fallback);
  }

  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  durable<T>(fn: () => T): T {
    const result = this.db.transaction(fn)();
    if (!this.db.inTransaction) this.checkpointer.committed();
    return result;
  }

  crashSafe<T>(fn: () => T): T {
    return this.commits.run(fn, {
      begin: 'deferred',
      committed: () => {
        this.group.committed();
        this.checkpointer.committed();
      },
    });
  }

  /** Resolves once every commit made so far is durable (at once when none waits). */
  sync(): Promise<void> {
    if (this.group.isSynced) return Promise.resolve();
    return new Promise((resolve, reject) => this.group.wait((err) => (err ? reject(err) : resolve())));
  }

  /**
   * Always one fsync of the WAL (it also covers commits other processes made to the same file before it starts).
   * `capture` runs just before the fsync starts; the promise resolves with its value once the fsync is done.
   */
  fsync<T>(capture: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let captured: T;
      this.group.wait((err) => (err ? reject(err) : resolve(captured)), { onSyncStart: () => (captured = capture()) });
    });
  }

  /** One fsync of the WAL now, on the event loop (at open: commits a killed agent left unsynced); false when it failed. */
  fsyncNow(): boolean {
    try {
      this.group.syncNow();
      return true;
    } catch {
      return false; // a read-only file (a reader such as the status window) or an I/O error
    }
  }

  /** Stops the checkpointer and closes the WAL handle once no fsync uses it; the caller closes the database. */
  close(): void {
    this.checkpointer.close();
    this.group.close();
  }
}
