import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import pg from 'pg';
import { validator } from '../../shared/validate.js';
import type { PgExecutor } from './postgres-executor.js';
import type { ChangeKind, ChangePublisher } from './repositories.js';
import type { ChangeListener, StoreNotifications } from './store-types.js';

/** The one channel every instance of a database publishes on and listens to. */
const CHANNEL = 'flowhost_changes';
/** NOTIFY payloads are limited to 8000 bytes; ours are far below, anything longer is not ours. */
const MAX_PAYLOAD = 1000;
/** Waits before listening again after the connection was lost, doubling up to the cap. */
const RECONNECT_MS = { first: 500, max: 30_000 } as const;

const ChangeNotice = Type.Object(
  {
    kind: Type.Union([Type.Literal('session'), Type.Literal('machine')]),
    id: Type.String({ maxLength: 100 }),
    /** The publishing instance: an instance does not hear itself. */
    from: Type.String({ maxLength: 100 }),
  },
  { additionalProperties: false },
);
const notice = validator(ChangeNotice);

/** Publishes on the executor it is given: the pool (sent at once) or a transaction's client (sent at its COMMIT). */
export class PgChangePublisher implements ChangePublisher {
  constructor(
    private readonly db: PgExecutor,
    private readonly instance: string,
  ) {}

  async publish(kind: ChangeKind, id: string): Promise<void> {
    await this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind, id, from: this.instance })]);
  }
}

/**
 * Wake-ups across orchestrator instances by LISTEN/NOTIFY: NOTIFY is transactional, so a change is heard once it
 * committed and never when it rolled back. The first subscriber opens one dedicated connection (outside the pool: a
 * pooled client would be handed to others) that LISTENs; when it is lost, it is opened again with a growing delay and
 * the subscribers are told that they may have missed changes (`missed`). Payloads that are not ours are ignored.
 */
export class PgNotifications implements StoreNotifications {
  /** This instance's id, in every payload it publishes. */
  readonly instance = randomUUID();
  private readonly publisher: PgChangePublisher;
  private readonly listeners = new Set<ChangeListener>();
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private delay: number = RECONNECT_MS.first;
  private closed = false;
  /** The first LISTEN (or the first attempt, when the server could not be reached: a retry then follows). */
  private listening: Promise<void> | undefined;

  constructor(
    pool: PgExecutor,
    private readonly config: pg.ClientConfig,
  ) {
    this.publisher = new PgChangePublisher(pool, this.instance);
  }

  /** A publisher on a transaction's client (its `tx.notifications`). */
  inTransaction(db: PgExecutor): PgChangePublisher {
    return new PgChangePublisher(db, this.instance);
  }

  publish(kind: ChangeKind, id: string): Promise<void> {
    return this.publisher.publish(kind, id);
  }

  async subscribe(listener: ChangeListener): Promise<() => void> {
    this.listeners.add(listener);
    this.listening ??= this.listen(false);
    await this.listening;
    return () => this.listeners.delete(listener);
  }

  /** Stops listening for good (the store closes). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(again: boolean): Promise<void> {
    this.retry = undefined;
    if (this.closed) return;
    const client = new pg.Client(this.config);
    this.client = client;
    // Whatever ends the connection (server restart, network), listening starts over; it never ends the process.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => this.heard(n.channel, n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    this.delay = RECONNECT_MS.first;
    if (again) for (const l of this.listeners) l.missed();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    // With jitter: instances that lost the server together do not come back in step.
    this.retry = setTimeout(() => void this.listen(true), this.delay * (0.5 + Math.random() / 2));
    this.retry.unref();
    this.delay = Math.min(this.delay * 2, RECONNECT_MS.max);
  }

  private heard(channel: string, payload: string | undefined): void {
    if (channel !== CHANNEL || payload === undefined || payload.length > MAX_PAYLOAD) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (!notice.check(parsed) || parsed.from === this.instance) return;
    for (const l of this.listeners) l.changed(parsed.kind, parsed.id);
  }
}
