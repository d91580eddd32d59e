import pg from 'pg';
import { PgTransactions, type PgExecutor } from './postgres-executor.js';
import { migrate } from './postgres-migrations.js';
import { PgQueueState } from './postgres-queue-state.js';
import { PgRecords, PgScreenshots } from './postgres-records.js';
import { PgGroups, PgLogs, PgMachines, PgOperations, PgSessions, PgWorkflows } from './postgres-repositories.js';
import { PgTables } from './postgres-tables.js';
import { PgNotifications } from './postgres-notifications.js';
import type { ChangePublisher, Repositories } from './repositories.js';
import { StoreRepositories, type Store } from './store-types.js';

export interface PostgresStoreOptions {
  /** pg pool settings: a `connectionString`, or host, port, user, password and database; `max` connections. */
  readonly pool: pg.PoolConfig;
  readonly now?: () => Date;
}

function repositories(db: PgExecutor, t: PgTables, notifications: ChangePublisher): Repositories {
  return {
    notifications,
    sessions: new PgSessions(db, t),
    logs: new PgLogs(db, t),
    screenshots: new PgScreenshots(db),
    machines: new PgMachines(db, t),
    groups: new PgGroups(db, t),
    workflows: new PgWorkflows(db, t),
    operations: new PgOperations(db, t),
    queueState: new PgQueueState(db, t),
    records: new PgRecords(db, t),
  };
}

/**
 * The store of several orchestrator instances on one PostgreSQL database (postgres-schema.ts, migrated at open). A
 * call on the store is one statement on the pool; a transaction has a pooled client of its own (postgres-executor.ts).
 * A commit is durable once it returns (the server's `synchronous_commit` is on, checked at open), so a crash-safe
 * transaction is a transaction, and `afterDurable` waits for the commits (and statements) in flight when it is called.
 */
export class PostgresStore extends StoreRepositories implements Store {
  private readonly txs: PgTransactions<Repositories>;
  /** Callbacks of `afterDurable` not yet run, in call order. */
  private durable: Promise<void> = Promise.resolve();
  private waiting = 0;
  readonly notifications: PgNotifications;

  private constructor(
    private readonly pool: pg.Pool,
    config: pg.PoolConfig,
    now: () => Date,
  ) {
    const t = new PgTables(now);
    // A transaction's repositories publish through the notifications, which listen on the pool the transactions own.
    let notifications: PgNotifications | undefined;
    const txs = new PgTransactions(pool, (db) => repositories(db, t, notifications!.inTransaction(db)));
    notifications = new PgNotifications(txs.pool, config);
    super(repositories(txs.pool, t, notifications));
    this.txs = txs;
    this.notifications = notifications;
  }

  /** Connects, refuses a server whose commits are not durable when they return, and migrates the schema. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool(options.pool);
    // A connection the server drops while idle in the pool is removed by it; without a listener it would end the process.
    pool.on('error', () => undefined);
    try {
      const { rows } = await pool.query<{ mode: string }>("SELECT current_setting('synchronous_commit') AS mode");
      if (rows[0]?.mode === 'off') throw new Error('PostgreSQL has synchronous_commit = off: a commit would not be durable when it returns; turn it on for this database or role');
      await migrate(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStore(pool, options.pool, options.now ?? (() => new Date()));
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.txs.transaction(fn);
  }

  crashSafeTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.txs.transaction(fn);
  }

  afterDurable(run: () => void, fail: (err: Error) => void): void {
    const inFlight = this.txs.settled();
    if (!inFlight && this.waiting === 0) return settle(run, fail);
    this.waiting++;
    this.durable = this.durable
      .then(() => inFlight)
      .then(() => {
        this.waiting--;
        settle(run, fail);
      });
  }

  async close(): Promise<void> {
    await this.notifications.close();
    await this.pool.end();
  }
}

function settle(run: () => void, fail: (err: Error) => void): void {
  try {
    run();
  } catch (err) {
    fail(err instanceof Error ? err : new Error(String(err)));
  }
}
