import type { EntityDef } from '../../shared/records/index.js';
import type { Repositories } from './repositories.js';

export type * from './repositories.js';
export type { OrderItem, RecordQuery, StoredRecord } from './record-query.js';

/** A record as stored: every field of its entity, null when unset. */
export type Row = Record<string, unknown>;

/** A filter/order/page already translated to the store's dialect by `orchestrator/odata/`. */
export interface RowQuery {
  /** SQL boolean expression over the entity's columns (field names), with `?` placeholders. */
  readonly where?: string;
  readonly params?: readonly unknown[];
  /** SQL ORDER BY list over field names, e.g. `priority DESC, createdon ASC`. */
  readonly orderBy?: string;
  readonly limit?: number;
  readonly offset?: number;
}

export class StoreError extends Error {
  constructor(
    readonly code: 'NotFound' | 'PreconditionFailed' | 'Conflict',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * The orchestrator's persistence: typed repositories per entity with intent-named queries, the queue's own state,
 * and the Web API's generic record path. SQLite (`sqlite-store.ts`) is the embedded default; a PostgreSQL store
 * implementing the same interface serves several orchestrator instances (test/contract/store-contract.ts is the suite
 * both pass). Writes are validated by the callers against the shared record schemas; the store only enforces keys,
 * versions (ETags) and uniqueness, and throws StoreError for those.
 *
 * Code inside a transaction uses the transaction's repositories (`tx`), never the store's: an engine with a
 * connection per transaction hands each its own.
 */
export interface Store extends Repositories, RowStore {
  /** Runs `fn` atomically: all of its writes or none. Nested calls join the outer transaction. */
  transaction<T>(fn: (tx: Repositories) => T): T;
  /**
   * Like `transaction`, but the commit does not wait for the disk: it survives a crash or kill -9 of the process at
   * once, and a power loss only once it is durable. Whatever must not happen before the commit is durable (a frame
   * that tells an agent of it) goes through `afterDurable`. Nested in another transaction, it joins that one.
   */
  crashSafeTransaction<T>(fn: (tx: Repositories) => T): T;
  /**
   * Runs `run` once every commit made so far is durable (at once when all are), in the order of the calls, without
   * blocking the event loop (one fsync serves every commit before it); `fail` if that cannot be done.
   */
  afterDurable(run: () => void, fail: (err: Error) => void): void;
  close(): void;
}

/** The generic row API with SQL conditions, until every call site uses the repositories. */
export interface RowStore {
  insert(entity: EntityDef, values: Row): Row;
  insertMany(entity: EntityDef, rows: readonly Row[]): void;
  get(entity: EntityDef, id: string): Row | undefined;
  update(entity: EntityDef, id: string, patch: Row, ifVersion?: number): Row;
  patch(entity: EntityDef, id: string, patch: Row): boolean;
  delete(entity: EntityDef, id: string, ifVersion?: number): void;
  query(entity: EntityDef, q?: RowQuery): Row[];
  count(entity: EntityDef, q?: Pick<RowQuery, 'where' | 'params'>): number;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}
