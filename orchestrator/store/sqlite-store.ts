import { CrashSafeCommits } from '../../node-shared/wal-group-sync.js';
import type { Repositories } from './repositories.js';
import { SqliteQueueState } from './sqlite-queue-state.js';
import { SqliteRecords } from './sqlite-records.js';
import { SqliteScreenshots } from './sqlite-screenshots.js';
import { SqliteGroups, SqliteLogs, SqliteMachines, SqliteOperations, SqliteSessions, SqliteWorkflows } from './sqlite-repositories.js';
import { SqliteTables, type SqliteTablesOptions } from './sqlite-tables.js';
import type { Store } from './store.js';
import { WalSync } from './wal-sync.js';

export type SqliteStoreOptions = SqliteTablesOptions;

/**
 * The embedded default store: one SQLite file in WAL mode, `synchronous=FULL` (NORMAL for crash-safe transactions,
 * made durable by the group commit of wal-sync.ts). One connection serves everything, so a transaction's repositories
 * are the store's own.
 */
export class SqliteStore implements Store {
  private readonly tables: SqliteTables;
  private readonly walSync: WalSync;
  private readonly commits: CrashSafeCommits;
  readonly sessions: SqliteSessions;
  readonly logs: SqliteLogs;
  readonly screenshots: SqliteScreenshots;
  readonly machines: SqliteMachines;
  readonly groups: SqliteGroups;
  readonly workflows: SqliteWorkflows;
  readonly operations: SqliteOperations;
  readonly queueState: SqliteQueueState;
  readonly records: SqliteRecords;

  constructor(options: SqliteStoreOptions) {
    const t = (this.tables = new SqliteTables(options));
    this.sessions = new SqliteSessions(t);
    this.logs = new SqliteLogs(t);
    this.screenshots = new SqliteScreenshots(t);
    this.machines = new SqliteMachines(t);
    this.groups = new SqliteGroups(t);
    this.workflows = new SqliteWorkflows(t);
    this.operations = new SqliteOperations(t);
    this.queueState = new SqliteQueueState(t);
    this.records = new SqliteRecords(t);
    this.commits = new CrashSafeCommits(t.db);
    // Without a WAL file to sync (an in-memory database has none), a synchronous=FULL write makes it durable.
    this.walSync = new WalSync(`${t.db.name}-wal`, () => {
      if (!t.db.memory) t.transaction(() => t.setMeta('store.sync', new Date().toISOString()));
    });
  }

  transaction<T>(fn: (tx: Repositories) => T): T {
    return this.tables.transaction(() => fn(this));
  }

  crashSafeTransaction<T>(fn: (tx: Repositories) => T): T {
    return this.commits.run(() => fn(this), { begin: 'immediate', committed: () => this.walSync.committed() });
  }

  afterDurable(run: () => void, fail: (err: Error) => void): void {
    this.walSync.afterDurable(run, fail);
  }

  close(): void {
    this.walSync.close();
    this.tables.close();
  }
}
