/**
 * Group commit bookkeeping for a WAL database, shared by the agent's and the orchestrator's stores (each injects
 * its own fsync of the WAL). Commits made with synchronous=NORMAL have reached the OS (they survive a kill -9) but
 * not the disk; the WAL is written in order, so one sync makes every commit before it durable. Waiters are told,
 * in the order they waited, once the commits made before they waited are durable; the commits of one turn of the
 * event loop share one sync, and only one sync runs at a time.
 */
export interface GroupSyncOptions {
  /** Starts one sync of everything committed so far; `done` once it is durable, or with the error. */
  readonly sync: (done: (err: Error | null) => void) => void;
  /** Runs `fn` after the current turn of the event loop (setImmediate), so that turn's commits share the sync. */
  readonly defer: (fn: () => void) => void;
  /**
   * Count one commit as made before any: a process killed before its sync may have left commits that only the OS
   * holds, and nothing read from them may be acted on before a sync.
   */
  readonly startUnsynced?: boolean;
}

interface Waiter {
  /** The count of commits that must be durable first. */
  readonly covers: number;
  /** Runs just before the sync that covers this waiter starts: what it reads then is covered. */
  readonly onSyncStart: (() => void) | undefined;
  readonly settle: (err: Error | null) => void;
}

export class GroupSync {
  /** Crash-safe commits made / made durable (counts). */
  private written: number;
  private synced = 0;
  private waiters: Waiter[] = [];
  private inFlight = false;
  private scheduled = false;
  private closed = false;

  constructor(private readonly options: GroupSyncOptions) {
    this.written = options.startUnsynced ? 1 : 0;
  }

  /** A crash-safe commit was made. */
  committed(): void {
    this.written++;
  }

  /** Every commit so far is durable by other means (a synchronous fsync, a synchronous=FULL commit). */
  allSynced(): void {
    this.synced = this.written;
  }

  get isSynced(): boolean {
    return this.synced >= this.written;
  }

  /**
   * `settle(null)` once every commit made before this call is durable, after the waiters before it; at once when
   * nothing is pending. `fresh`: wait for a sync that starts after this call even when nothing is pending (it also
   * covers writes this process does not count, e.g. another connection's), with `onSyncStart` run just before it.
   */
  wait(settle: (err: Error | null) => void, fresh?: { onSyncStart?: () => void }): void {
    if (this.closed) return settle(new Error('the store is closed'));
    if (fresh) this.written++;
    else if (this.isSynced && this.waiters.length === 0) return settle(null);
    this.waiters.push({ covers: this.written, onSyncStart: fresh?.onSyncStart, settle });
    this.schedule();
  }

  /** Fails the waiters; a sync in flight finishes unobserved. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.settle(new Error('the store closed before its commits were synced'));
  }

  get syncing(): boolean {
    return this.inFlight;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.options.defer(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight || this.closed) return;
    if (this.isSynced) return this.release();
    const covered = this.written;
    for (const w of this.waiters) if (w.covers <= covered) w.onSyncStart?.();
    this.inFlight = true;
    this.options.sync((err) => {
      this.inFlight = false;
      if (this.closed) return;
      if (err) {
        for (const w of this.waiters.splice(0)) w.settle(err);
        return;
      }
      if (covered > this.synced) this.synced = covered;
      this.release();
    });
  }

  /** Settles the waiters whose commits are durable, in order; schedules a sync for the rest. */
  private release(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.covers <= this.synced) this.waiters.shift()!.settle(null);
    if (this.waiters.length > 0) this.schedule();
  }
}

/** The file calls a WAL sync needs (node:fs's), injected: shared/ imports no node module. */
export interface WalFileCalls {
  openSync(path: string, flags: 'r+'): number;
  fdatasync(fd: number, done: (err: Error | null) => void): void;
  fdatasyncSync(fd: number): void;
  closeSync(fd: number): void;
}

export interface WalGroupSyncOptions {
  readonly path: string;
  readonly fs: WalFileCalls;
  /** Makes everything durable another way (a synchronous=FULL commit) when the WAL cannot be opened. */
  readonly fallback: () => void;
  readonly defer: (fn: () => void) => void;
  readonly startUnsynced?: boolean;
}

/**
 * Group commit over one WAL file: each sync is an fdatasync of it on the thread pool; when the WAL cannot be opened
 * (an in-memory database, a read-only reader), the fallback counts as the sync.
 */
export class WalGroupSync {
  private fd: number | undefined;
  private closed = false;
  private readonly group: GroupSync;

  constructor(private readonly wal: WalGroupSyncOptions) {
    this.group = new GroupSync({ defer: wal.defer, startUnsynced: wal.startUnsynced ?? false, sync: (done) => this.sync(done) });
  }

  /** A crash-safe commit was made. */
  committed(): void {
    this.group.committed();
  }

  get isSynced(): boolean {
    return this.group.isSynced;
  }

  /** See GroupSync.wait. */
  wait(settle: (err: Error | null) => void, fresh?: { onSyncStart?: () => void }): void {
    this.group.wait(settle, fresh);
  }

  /** One sync now, on the event loop (e.g. at open); throws what the sync threw. */
  syncNow(): void {
    const fd = this.open();
    if (fd === undefined) this.wal.fallback();
    else this.wal.fs.fdatasyncSync(fd);
    this.group.allSynced();
  }

  /** Fails the waiters; the WAL handle closes once no sync uses it. */
  close(): void {
    this.closed = true;
    this.group.close();
    if (!this.group.syncing) this.closeWal();
  }

  private sync(done: (err: Error | null) => void): void {
    const fd = this.open();
    if (fd === undefined) {
      try {
        this.wal.fallback();
      } catch (err) {
        return done(err as Error);
      }
      return done(null);
    }
    this.wal.fs.fdatasync(fd, (err) => {
      if (this.closed) this.closeWal();
      done(err);
    });
  }

  private open(): number | undefined {
    if (this.fd === undefined) {
      try {
        this.fd = this.wal.fs.openSync(this.wal.path, 'r+');
      } catch {
        return undefined;
      }
    }
    return this.fd;
  }

  private closeWal(): void {
    if (this.fd === undefined) return;
    this.wal.fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
