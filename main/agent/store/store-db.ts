import type Database from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

interface SyncWaiter {
  /** Runs as the fsync starts: what it reads is covered by it. */
  readonly capture: () => unknown;
  readonly resolve: (captured: unknown) => void;
  readonly reject: (err: Error) => void;
}

/**
 * The agent store's connection (WAL): statements prepared once per SQL text, and the strengths of commit.
 * - `durable`: synchronous=FULL, the commit waits for fsync; it survives a power loss.
 * - `crashSafe`: synchronous=NORMAL, no fsync; the WAL write has reached the OS when it returns, so it survives a
 *   crash or kill -9 of the agent but may roll back on a power loss or OS crash. The WAL is written in order, so an
 *   fsync of it (a later durable commit, or `sync`) makes every earlier commit durable too.
 * - `sync`: one fsync (fdatasync, as SQLite does) of the WAL on the thread pool for all crash-safe commits made so
 *   far; callers in the same turn of the event loop share it (group commit), and the event loop does not wait for
 *   the disk.
 */
export class StoreDb {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  /** Crash-safe commits made / made durable (counts). */
  private written = 0;
  private synced = 0;
  private waiters: SyncWaiter[] = [];
  private scheduled = false;
  private inFlight = false;
  private walFd: number | undefined;
  private closed = false;

  constructor(readonly db: Database.Database) {
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
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
    return this.db.transaction(fn)();
  }

  crashSafe<T>(fn: () => T): T {
    // Inside a caller's transaction the safety level cannot change; that transaction's own commit decides.
    if (this.db.inTransaction) return fn();
    this.syncNormal.run();
    try {
      const result = this.db.transaction(fn)();
      this.written++;
      return result;
    } finally {
      this.syncFull.run();
    }
  }

  /** Resolves once every commit made so far is durable (at once when none waits). */
  sync(): Promise<void> {
    if (this.synced >= this.written) return Promise.resolve();
    return this.fsync(() => undefined);
  }

  /**
   * Always one fsync of the WAL (it also covers commits other processes made to the same file before it starts).
   * `capture` runs just before the fsync starts; the promise resolves with its value once the fsync is done.
   */
  fsync<T>(capture: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ capture, resolve: resolve as (v: unknown) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** One fsync of the WAL now, on the event loop (at open: commits a killed agent left unsynced); false when it failed. */
  fsyncNow(): boolean {
    try {
      const fd = this.wal();
      if (fd === undefined) this.durable(() => this.sql(`UPDATE meta SET value = value WHERE key = 'last_seq'`).run());
      else fdatasyncSync(fd);
    } catch {
      return false; // a read-only file (a reader such as the status window) or an I/O error
    }
    this.synced = this.written;
    return true;
  }

  /** Closes the WAL handle once no fsync uses it; the caller closes the database. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('the store closed before its commits were synced'));
    if (!this.inFlight) this.closeWal();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight || this.waiters.length === 0 || this.closed) return;
    const waiters = this.waiters;
    this.waiters = [];
    const covered = this.written;
    const captured = waiters.map((w) => w.capture());
    const fd = this.wal();
    if (fd === undefined) {
      // No WAL file to sync (it cannot be opened): a durable write fsyncs it through SQLite.
      this.settle(waiters, captured, covered, () => this.durable(() => this.sql(`UPDATE meta SET value = value WHERE key = 'last_seq'`).run()));
      return;
    }
    this.inFlight = true;
    fdatasync(fd, (err) => {
      this.inFlight = false;
      if (this.closed) this.closeWal();
      this.settle(waiters, captured, covered, () => {
        if (err) throw err;
      });
      if (this.waiters.length > 0) this.flush();
    });
  }

  private settle(waiters: readonly SyncWaiter[], captured: readonly unknown[], covered: number, check: () => void): void {
    try {
      check();
    } catch (err) {
      for (const w of waiters) w.reject(err as Error);
      return;
    }
    if (covered > this.synced) this.synced = covered;
    waiters.forEach((w, i) => w.resolve(captured[i]));
  }

  private wal(): number | undefined {
    if (this.walFd === undefined) {
      try {
        this.walFd = openSync(`${this.db.name}-wal`, 'r+');
      } catch {
        return undefined;
      }
    }
    return this.walFd;
  }

  private closeWal(): void {
    if (this.walFd === undefined) return;
    closeSync(this.walFd);
    this.walFd = undefined;
  }
}
