import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { WalGroupSync } from '../../shared/group-sync.js';

/**
 * Group commit for the orchestrator's WAL database (shared/group-sync.ts): one fdatasync of the WAL on the thread
 * pool makes every crash-safe commit before it durable, without blocking the event loop. `afterDurable` runs its
 * callbacks in the order they were given, once every commit made before the call is durable.
 */
export class WalSync {
  private readonly group: WalGroupSync;

  constructor(walPath: string, fullSync: () => void) {
    // startUnsynced: a process killed before its fsync may have left commits in the WAL that only the OS holds.
    this.group = new WalGroupSync({ path: walPath, fs: { openSync, fdatasync, fdatasyncSync, closeSync }, fallback: fullSync, defer: setImmediate, startUnsynced: true });
  }

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
    this.group.close();
  }
}
