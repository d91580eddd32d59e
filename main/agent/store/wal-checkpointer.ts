import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's own auto-checkpoint runs in the committing call once the WAL passes its limit: it copies the WAL into the
 * database and fsyncs both, on the thread that also reads the flows' pipes (tens of ms a time at the default 4 MiB).
 * The checkpointer does the same work on a worker thread with a connection of its own: a PASSIVE checkpoint (it
 * never blocks a writer) with synchronous=FULL (the WAL is synced before it is copied, the database after), shortly
 * after commits. The store's connection keeps a larger auto-checkpoint as the backstop that bounds the WAL should the
 * worker fall behind or be unavailable; which connection checkpoints changes nothing of what a crash keeps.
 */
export interface WalCheckpointerOptions {
  /** The database file (its WAL is `<file>-wal`). */
  readonly file: string;
  /** The worker starts once the WAL file reaches this size (bytes): a store that writes little never starts one. Default 1 MiB. */
  readonly startAtBytes?: number;
  /** Commits within this long share one checkpoint (ms). Default 25. */
  readonly delayMs?: number;
  /** The worker failed (it is not restarted; the backstop auto-checkpoint goes on). */
  readonly onError?: (err: unknown) => void;
}

/** The worker (CommonJS, evaluated): one connection, a PASSIVE checkpoint `delayMs` after a request. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');
let timer;
function checkpoint() {
  timer = undefined;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
  parentPort.postMessage('done');
}
parentPort.on('message', (m) => {
  if (m === 'close') {
    clearTimeout(timer);
    try { db.close(); } finally { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0); parentPort.close(); }
  } else if (timer === undefined) {
    timer = setTimeout(checkpoint, workerData.delayMs);
  }
});
`;

/** Most time `close` waits for a checkpoint under way to end (ms). */
const CLOSE_WAIT_MS = 5000;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private requested = false;
  private again = false;
  private failed = false;

  constructor(private readonly options: WalCheckpointerOptions) {}

  /** After a commit: asks for a checkpoint (at most one waits at a time; commits meanwhile ask for another). */
  committed(): void {
    if (this.failed) return;
    if (!this.worker && !this.start()) return;
    if (this.requested) {
      this.again = true;
      return;
    }
    this.requested = true;
    this.worker!.postMessage('check');
  }

  /** Stops the worker, waiting for a checkpoint under way: its connection is closed when this returns. */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.failed = true;
    worker.postMessage('close');
    if (Atomics.wait(this.closed, 0, 0, CLOSE_WAIT_MS) === 'timed-out') void worker.terminate();
  }

  private start(): boolean {
    try {
      if (statSync(`${this.options.file}-wal`).size < (this.options.startAtBytes ?? 1_048_576)) return false;
    } catch {
      return false;
    }
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: this.options.file, delayMs: this.options.delayMs ?? 25, closed: this.closed.buffer } });
      worker.unref();
      worker.on('message', (m: unknown) => this.onMessage(m));
      worker.on('error', (err) => this.fail(err));
      this.worker = worker;
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private onMessage(m: unknown): void {
    if (typeof m === 'object' && m !== null && 'error' in m) {
      this.options.onError?.(new Error(`WAL checkpoint: ${String(m.error)}`));
      return;
    }
    this.requested = false;
    if (this.again && this.worker) {
      this.again = false;
      this.requested = true;
      this.worker.postMessage('check');
    }
  }

  private fail(err: unknown): void {
    this.failed = true;
    this.worker = undefined;
    this.options.onError?.(err);
  }
}
