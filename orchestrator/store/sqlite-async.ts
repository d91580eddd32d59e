import { AsyncLocalStorage } from 'node:async_hooks';

/** An async repository interface with every method answering at once: what the SQLite repositories implement. */
export type Synced<T> = { [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K] };

type Method = (...args: unknown[]) => unknown;

/** The public methods of `sync` (its class chain), each answering through `run`. */
export function promised<T extends object>(sync: Synced<T>, run: <R>(op: () => R) => Promise<R>): T {
  const out: Record<string, Method> = {};
  for (let proto: unknown = Object.getPrototypeOf(sync); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = (sync as Record<string, unknown>)[name];
      if (name === 'constructor' || name in out || typeof method !== 'function') continue;
      out[name] = (...args) => run(() => (method as Method).apply(sync, args));
    }
  }
  return out as T;
}

/** `op`'s answer as a promise; a throw becomes a rejection. */
export function settled<R>(op: () => R): Promise<R> {
  try {
    return Promise.resolve(op());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * One SQLite connection shared by async transactions: one transaction at a time, and a call on the store (not on a
 * transaction's `tx`) waits until none is open, so it never joins a transaction it is not part of. A call on the
 * store from inside a transaction's own code would wait for itself: it is refused instead.
 */
export class TransactionGate {
  private held: Promise<void> | undefined;
  private readonly inside = new AsyncLocalStorage<true>();

  /** True while the caller runs inside a transaction's code. */
  get nested(): boolean {
    return this.inside.getStore() === true;
  }

  /** Runs `body` alone on the connection. */
  async exclusive<T>(body: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    let release!: () => void;
    this.held = new Promise<void>((resolve) => (release = resolve));
    try {
      return await this.inside.run(true, body);
    } finally {
      this.held = undefined;
      release();
    }
  }

  /** A call on the store: at once when no transaction is open, else after it. */
  run<R>(op: () => R): Promise<R> {
    if (this.nested) return Promise.reject(new Error('a transaction used the store itself: use its tx'));
    if (!this.held) return settled(op);
    return this.held.then(() => this.run(op));
  }
}
