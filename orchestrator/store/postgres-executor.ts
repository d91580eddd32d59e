import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

export type QueryResult<R extends pg.QueryResultRow = Record<string, unknown>> = pg.QueryResult<R>;

/** Where the PostgreSQL repositories send their statements: the pool (one statement, autocommit) or a transaction's client. */
export interface PgExecutor {
  /** A statement with `$n` parameters. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** `body` all or nothing: a transaction of its own on the pool, a savepoint inside an open transaction. */
  atomic<T>(body: (db: PgExecutor) => Promise<T>): Promise<T>;
}

/** An open transaction: its client's executor, and whether its code still runs (its `tx` refuses calls once it ended). */
export interface TxContext<R> {
  open: boolean;
  readonly db: PgExecutor;
  readonly repositories: R;
}

/**
 * Transactions on a pool: one pooled client per transaction (BEGIN … COMMIT, ROLLBACK when its code rejects), the code
 * run with its context in AsyncLocalStorage so that a nested call joins it and a call on the pool from inside it is
 * refused (it would run outside the transaction, and could wait for a connection the transaction holds).
 *
 * Serialization failures and deadlocks (40001, 40P01) are not retried: a transaction's code may act on the world
 * between its statements (remember a frame, change an in-memory book), so running it twice is not known to be safe.
 * They reject like any other error, the transaction rolled back. (At READ COMMITTED, the default, 40001 does not
 * occur; a deadlock needs two transactions locking the same rows in opposite orders.)
 */
export class PgTransactions<R> {
  private readonly inside = new AsyncLocalStorage<TxContext<R>>();
  /** Statements on the pool and COMMITs in flight: what `settled` waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The pool's executor: each statement on its own, refused from inside a transaction's code. */
  readonly pool: PgExecutor;

  constructor(
    private readonly pg: pg.Pool,
    private readonly bind: (db: PgExecutor) => R,
  ) {
    const refused = () => (this.inside.getStore()?.open ? Promise.reject(new Error('a transaction used the store itself: use its tx')) : undefined);
    this.pool = {
      query: (sql, params) => refused() ?? this.track(this.pg.query(sql, params as unknown[])),
      atomic: (body) => refused() ?? this.run((ctx) => body(ctx.db)),
    };
  }

  /** The open transaction the caller runs inside, if any. */
  current(): TxContext<R> | undefined {
    const ctx = this.inside.getStore();
    return ctx?.open ? ctx : undefined;
  }

  /** Runs `fn` in a transaction: the caller's when it runs inside one, else a new one on its own client. */
  transaction<T>(fn: (repositories: R) => Promise<T>): Promise<T> {
    const ctx = this.current();
    if (ctx) return fn(ctx.repositories);
    return this.run((c) => fn(c.repositories));
  }

  /** Every statement on the pool and every COMMIT issued so far, as they settle (whatever their outcome). */
  settled(): Promise<unknown> | undefined {
    return this.inFlight.size === 0 ? undefined : Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async run<T>(fn: (ctx: TxContext<R>) => Promise<T>): Promise<T> {
    const client = await this.pg.connect();
    // The server or network gone while the code awaits something else: without a listener, the client's error event
    // would end the process; with one, the next statement (or COMMIT) rejects.
    const lost = () => undefined;
    client.on('error', lost);
    const ctx = this.context(client);
    // The client goes back to the pool only when the transaction ended cleanly (COMMIT or ROLLBACK answered); else
    // it is closed, which ends whatever it was in.
    let clean = false;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await this.inside.run(ctx, () => fn(ctx));
      } catch (err) {
        ctx.open = false;
        await client.query('ROLLBACK').then(
          () => (clean = true),
          () => undefined,
        );
        throw err;
      }
      ctx.open = false;
      const commit = await this.track(client.query('COMMIT'));
      clean = true;
      // A transaction in which a statement failed answers COMMIT with ROLLBACK, not with an error.
      if (commit.command !== 'COMMIT') throw new Error('the transaction was rolled back: a statement in it failed');
      return result;
    } finally {
      ctx.open = false;
      client.off('error', lost);
      client.release(clean ? undefined : true);
    }
  }

  private context(client: pg.PoolClient): TxContext<R> {
    let savepoints = 0;
    // Statements the code issues at once (a Promise.all over its tx) take turns on the one client, in issue order.
    let tail: Promise<unknown> = Promise.resolve();
    const db: PgExecutor = {
      query: <Q extends pg.QueryResultRow>(sql: string, params?: readonly unknown[]) => {
        if (!ctx.open) return Promise.reject(new Error("a transaction's tx was used after its transaction ended"));
        const next = tail.then(() => client.query<Q>(sql, params as unknown[]));
        tail = next.catch(() => undefined);
        return next;
      },
      atomic: async (body) => {
        const name = `sp${++savepoints}`;
        await db.query(`SAVEPOINT ${name}`);
        try {
          const result = await body(db);
          await db.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (err) {
          if (ctx.open) await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
          throw err;
        }
      },
    };
    const ctx: TxContext<R> = { open: true, db, repositories: this.bind(db) };
    return ctx;
  }
}
