import type { WalGroupSync } from '../../shared/group-sync.js';
import { nodeWalGroupSync } from '../../node-shared/wal-group-sync.js';

/**
 * Group commit for the orchestrator's WAL database (shared/group-sync.ts): one fdatasync of the WAL on the thread
 * pool makes every crash-safe commit before it durable, without blocking the event loop. `afterDurable` runs its
 * callbacks in the order they were given, once every commit made before the call is durable.
 */
export class WalSync {
  private readonly group: WalGroupSync;

  constructor(walPath: string, fullSync: () => void) {
    // startUnsynced: a process killed before its fsync may have left commits in the WAL that only the OS holds.
    this.group = nodeWalGroupSync(walPath, fullSync, { startUnsynced: true });
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
