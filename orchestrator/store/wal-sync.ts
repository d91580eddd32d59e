import { closeSync, fdatasync, openSync } from 'node:fs';
import { GroupSync } from '../../shared/group-sync.js';

/**
 * Group commit for the orchestrator's WAL database (the bookkeeping is shared/group-sync.ts): one fdatasync of the
 * WAL on the thread pool makes every crash-safe commit before it durable, without blocking the event loop.
 * `afterDurable` runs its callbacks in the order they were given, once every commit made before the call is durable.
 */
export class WalSync {
  private fd: number | undefined;
  private closed = false;
  private readonly group = new GroupSync({
    // A process killed before its fsync may have left commits in the WAL that only the OS holds.
    startUnsynced: true,
    defer: setImmediate,
    sync: (done) => this.sync(done),
  });

  constructor(
    private readonly walPath: string,
    /** Makes everything durable the slow way (a synchronous=FULL commit) when the WAL cannot be opened. */
    private readonly fullSync: () => void,
  ) {}

  /** A crash-safe commit was made. */
  committed(): void {
    this.group.committed();
  }

  afterDurable(run: () => void, fail: (err: Error) => void): void {
    this.group.wait((err) => {
      if (err) return fail(err);
      try {
        run();
      } catch (thrown) {
        fail(thrown as Error);
      }
    });
  }

  close(): void {
    this.closed = true;
    this.group.close();
    if (!this.group.syncing) this.closeWal();
  }

  private sync(done: (err: Error | null) => void): void {
    const fd = this.wal();
    if (fd === undefined) {
      try {
        this.fullSync();
      } catch (err) {
        return done(err as Error);
      }
      return done(null);
    }
    fdatasync(fd, (err) => {
      if (this.closed) this.closeWal();
      done(err);
    });
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
