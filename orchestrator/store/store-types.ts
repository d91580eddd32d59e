import type { ChangeKind, ChangePublisher, Repositories } from './repositories.js';

/** The store's contract, apart from its public surface (store.ts) so that the engines' modules import it without a cycle. */

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
 * implementing the same interface serves several orchestrator instances
 * (test/integration/orchestrator/store/store-contract.ts is the suite both pass). Writes are validated by the callers against the shared record schemas; the store only enforces keys,
 * versions (ETags) and uniqueness, and throws StoreError for those.
 *
 * Code inside a transaction uses the transaction's repositories (`tx`), never the store's: an engine with a
 * connection per transaction hands each its own.
 */
/** What a subscriber of `Store.notifications` is told. */
export interface ChangeListener {
  /** Another instance committed a change of this record. */
  changed(kind: ChangeKind, id: string): void;
  /** Changes may have been missed (the channel was down and is back): whatever the subscriber holds, read it again. */
  missed(): void;
}

/**
 * Changes published by the other orchestrator instances on the same database (never the instance's own). PostgreSQL:
 * LISTEN/NOTIFY (postgres-notifications.ts); SQLite: one process per file, so nothing to hear (sqlite-notifications.ts).
 */
export interface StoreNotifications extends ChangePublisher {
  /**
   * Starts hearing: resolves once listening (what is published after that is heard), with the function that stops.
   * Were the channel not up yet, `missed` follows once it is.
   */
  subscribe(listener: ChangeListener): Promise<() => void>;
}

export interface Store extends Repositories {
  readonly notifications: StoreNotifications;
  /**
   * Runs `fn` atomically: all of its writes or none (a rejection rolls them back). Nested calls join the outer
   * transaction. Inside `fn`, calls go to `tx`: a call on the store itself is refused.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, but the commit does not wait for the disk: it survives a crash or kill -9 of the process at
   * once, and a power loss only once it is durable. Whatever must not happen before the commit is durable (a frame
   * that tells an agent of it) goes through `afterDurable`. Nested in another transaction, it joins that one.
   */
  crashSafeTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Runs `run` once every commit made so far is durable (at once when all are), in the order of the calls, without
   * blocking the event loop (one fsync serves every commit before it); `fail` if that cannot be done.
   */
  afterDurable(run: () => void, fail: (err: Error) => void): void;
  close(): Promise<void>;
}

type OwnRepositories = Omit<Repositories, 'notifications'>;

/** A store's own repositories (the calls outside transactions) as its fields: what both engines' stores extend. */
export abstract class StoreRepositories implements OwnRepositories {
  readonly sessions: Repositories['sessions'];
  readonly logs: Repositories['logs'];
  readonly screenshots: Repositories['screenshots'];
  readonly machines: Repositories['machines'];
  readonly groups: Repositories['groups'];
  readonly workflows: Repositories['workflows'];
  readonly operations: Repositories['operations'];
  readonly queueState: Repositories['queueState'];
  readonly records: Repositories['records'];

  protected constructor(own: OwnRepositories) {
    ({
      sessions: this.sessions,
      logs: this.logs,
      screenshots: this.screenshots,
      machines: this.machines,
      groups: this.groups,
      workflows: this.workflows,
      operations: this.operations,
      queueState: this.queueState,
      records: this.records,
    } = own);
  }
}
