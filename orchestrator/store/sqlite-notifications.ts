import type { ChangeKind } from './repositories.js';
import type { ChangeListener, StoreNotifications } from './store-types.js';

/**
 * The SQLite store's notifications: one orchestrator process per file, so no other instance publishes and none hears.
 * Publishing is a no-op and a subscriber is never called.
 */
export class SqliteNotifications implements StoreNotifications {
  publish(_kind: ChangeKind, _id: string): Promise<void> {
    return Promise.resolve();
  }

  subscribe(_listener: ChangeListener): Promise<() => void> {
    return Promise.resolve(() => undefined);
  }
}
