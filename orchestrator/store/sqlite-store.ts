import type { Repositories } from './repositories.js';
import { promised, settled, TransactionGate, type Synced } from './sqlite-async.js';
import { SqliteNotifications } from './sqlite-notifications.js';
import { SqliteQueueState } from './sqlite-queue-state.js';
import { SqliteRecords } from './sqlite-records.js';
import { SqliteScreenshots } from './sqlite-screenshots.js';
import { SqliteGroups, SqliteLogs, SqliteMachines, SqliteOperations, SqliteSessions, SqliteWorkflows } from './sqlite-repositories.js';
import { SqliteTables, type SqliteTablesOptions } from './sqlite-tables.js';
import { StoreRepositories, type Store } from './store-types.js';
import { WalSync } from './wal-sync.js';

export type SqliteStoreOptions = SqliteTablesOptions;

type SyncRepositories = { readonly [K in Exclude<keyof Repositories, 'notifications'>]: Synced<Repositories[K]> };

function syncRepositories(t: SqliteTables): SyncRepositories {
  return {
    sessions: new SqliteSessions(t),
    logs: new SqliteLogs(t),
    screenshots: new SqliteScreenshots(t),
    machines: new SqliteMachines(t),
    groups: new SqliteGroups(t),
    workflows: new SqliteWorkflows(t),
    operations: new SqliteOperations(t),
    queueState: new SqliteQueueState(t),
    records: new SqliteRecords(t),
  };
}

function asyncRepositories(sync: SyncRepositories, run: <R>(op: () => R) => Promise<R>, notifications: SqliteNotifications): Repositories {
  return {
    notifications,
    sessions: promised(sync.sessions, run),
    logs: promised(sync.logs, run),
    screenshots: promised(sync.screenshots, run),
    machines: promised(sync.machines, run),
    groups: promised(sync.groups, run),
    workflows: promised(sync.workflows, run),
    operations: promised(sync.operations, run),
    queueState: promised(sync.queueState, run),
    records: promised(sync.records, run),
  };
}

/**
 * The embedded default store: one SQLite file in WAL mode, `synchronous=FULL` (NORMAL for crash-safe transactions,
 * made durable by the group commit of wal-sync.ts). One connection serves everything: the statements run at once
 * (an answer is a resolved promise), and transactions take turns on it (sqlite-async.ts).
 */
export class SqliteStore extends StoreRepositories implements Store {
  private readonly tables: SqliteTables;
  private readonly walSync: WalSync;
  private readonly gate: TransactionGate;
  /** The repositories a transaction's code gets: they run on the connection at once, inside the open transaction. */
  private readonly tx: Repositories;
  readonly notifications: SqliteNotifications;

  constructor(options: SqliteStoreOptions) {
    const t = new SqliteTables(options);
    const gate = new TransactionGate();
    const notifications = new SqliteNotifications();
    const sync = syncRepositories(t);
    super(asyncRepositories(sync, (op) => gate.run(op), notifications));
    this.tables = t;
    this.gate = gate;
    this.notifications = notifications;
    this.tx = asyncRepositories(sync, (op) => this.inTransaction(op), notifications);
    // Without a WAL file to sync (an in-memory database has none), a synchronous=FULL write makes it durable.
    this.walSync = new WalSync(`${t.db.name}-wal`, () => {
      if (!t.db.memory) t.transaction(() => t.setMeta('store.sync', new Date().toISOString()));
    });
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    if (this.gate.nested) return fn(this.tx);
    return this.gate.exclusive(() => this.tables.asyncTransaction(() => fn(this.tx)));
  }

  crashSafeTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    if (this.gate.nested) return fn(this.tx);
    return this.gate.exclusive(() => this.tables.asyncTransaction(() => fn(this.tx), { crashSafe: () => this.walSync.committed() }));
  }

  afterDurable(run: () => void, fail: (err: Error) => void): void {
    this.walSync.afterDurable(run, fail);
  }

  close(): Promise<void> {
    this.walSync.close();
    this.tables.close();
    return Promise.resolve();
  }

  private inTransaction<R>(op: () => R): Promise<R> {
    if (!this.gate.nested) return Promise.reject(new Error("a transaction's tx was used after its transaction ended"));
    return settled(op);
  }
}
