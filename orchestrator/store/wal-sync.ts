import { closeSync, fdatasync, openSync } from 'node:fs';

interface Waiter {
  readonly run: () => void;
  readonly fail: (err: Error) => void;
}

/**
 * Group commit for a WAL database: commits made with synchronous=NORMAL have reached the OS (they survive a kill -9)
 * but not the disk; one fdatasync of the WAL on the thread pool makes every earlier commit durable (the WAL is
 * written in order), without blocking the event loop. `afterDurable` runs its callbacks, in the order they were
 * given, once every commit made before the call is durable: at once when none is pending.
 */
export class WalSync {
  /**
   * Crash-safe commits made / made durable (counts). One counts as made at the start: a process killed before its
   * fsync may have left commits in the WAL that only the OS holds, and nothing read from them may leave unsynced.
   */
  private written = 1;
  private synced = 0;
  private waiters: { covers: number; waiter: Waiter }[] = [];
  private inFlight = false;
  private scheduled = false;
  private fd: number | undefined;
  private closed = false;

  constructor(
    private readonly walPath: string,
    /** Makes everything durable the slow way (a synchronous=FULL commit) when the WAL cannot be opened. */
    private readonly fullSync: () => void,
  ) {}

  /** A crash-safe commit was made. */
  committed(): void {
    this.written++;
  }

  afterDurable(run: () => void, fail: (err: Error) => void): void {
    if (this.closed) return fail(new Error('the store is closed'));
    // Behind a pending callback, even with nothing left to sync: callbacks keep their order.
    if (this.synced >= this.written && this.waiters.length === 0) return run();
    this.waiters.push({ covers: this.written, waiter: { run, fail } });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  close(): void {
    this.closed = true;
    for (const { waiter } of this.waiters.splice(0)) waiter.fail(new Error('the store closed before its commits were synced'));
    if (!this.inFlight) this.closeWal();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight || this.closed) return;
    if (this.synced >= this.written) return this.release();
    const covered = this.written;
    const fd = this.wal();
    if (fd === undefined) {
      this.settle(covered, () => this.fullSync());
      return;
    }
    this.inFlight = true;
    fdatasync(fd, (err) => {
      this.inFlight = false;
      if (this.closed) return this.closeWal();
      this.settle(covered, () => {
        if (err) throw err;
      });
    });
  }

  private settle(covered: number, sync: () => void): void {
    try {
      sync();
    } catch (err) {
      for (const { waiter } of this.waiters.splice(0)) waiter.fail(err as Error);
      return;
    }
    if (covered > this.synced) this.synced = covered;
    this.release();
  }

  /** Runs the callbacks whose commits are durable, in order; syncs again for the rest. */
  private release(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.covers <= this.synced) {
      const { waiter } = this.waiters.shift()!;
      try {
        waiter.run();
      } catch (err) {
        waiter.fail(err as Error);
      }
    }
    if (this.waiters.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private wal(): number | undefined {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.walPath, 'r+');
      } catch {
        return undefined;
      }
    }
    return this.fd;
  }

  private closeWal(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
