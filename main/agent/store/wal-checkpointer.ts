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
  /**
   * After this long without a commit (ms) the worker truncates the WAL (a TRUNCATE checkpoint) and ends, so an idle
   * agent holds no thread for it. Default 30,000.
   */
  readonly idleMs?: number;
  /** A checkpoint failed, or the worker did (it is not restarted; the backstop auto-checkpoint goes on). */
  readonly onError?: (err: unknown) => void;
}

/**
 * The worker (CommonJS, evaluated): one connection; a PASSIVE checkpoint `delayMs` after a request, a TRUNCATE one
 * before it ends when idle. `closed[0]` is set once its connection is closed.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');
let timer;
function checkpoint(mode) {
  try {
    db.pragma('wal_checkpoint(' + mode + ')');
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
}
function end() {
  clearTimeout(timer);
  try { db.close(); } finally { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0); parentPort.close(); }
}
parentPort.on('message', (m) => {
  if (m === 'close') return end();
  if (m === 'idle') {
    checkpoint('TRUNCATE');
    return end();
  }
  if (timer === undefined) {
    timer = setTimeout(() => {
      timer = undefined;
      checkpoint('PASSIVE');
      parentPort.postMessage('done');
    }, workerData.delayMs);
  }
});
`;

/** Most time `close` waits for a checkpoint under way to end (ms). */
const CLOSE_WAIT_MS = 5000;

interface Running {
  readonly worker: Worker;
  readonly closed: Int32Array;
}

export class WalCheckpointer {
  private running: Running | undefined;
  private requested = false;
  private again = false;
  private failed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WalCheckpointerOptions) {}

  /** After a commit: asks for a checkpoint (at most one waits at a time; commits meanwhile ask for another). */
  committed(): void {
    if (this.failed) return;
    if (!this.running && !this.start()) return;
    this.idleTimer?.refresh();
    if (this.requested) {
      this.again = true;
      return;
    }
    this.requested = true;
    this.running!.worker.postMessage('check');
  }

  /** Stops the worker, waiting for a checkpoint under way: its connection is closed when this returns. */
  close(): void {
    this.failed = true;
    const running = this.stop('close');
    if (running && Atomics.wait(running.closed, 0, 0, CLOSE_WAIT_MS) === 'timed-out') void running.worker.terminate();
  }

  /** Ends the current worker (`idle`: after a TRUNCATE checkpoint); a later commit starts another. */
  private stop(how: 'close' | 'idle'): Running | undefined {
    const running = this.running;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.running = undefined;
    this.requested = false;
    this.again = false;
    running?.worker.postMessage(how);
    return running;
  }

  private start(): boolean {
    try {
      if (statSync(`${this.options.file}-wal`).size < (this.options.startAtBytes ?? 1_048_576)) return false;
    } catch {
      return false;
    }
    try {
      const closed = new Int32Array(new SharedArrayBuffer(4));
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const workerData = { driver, file: this.options.file, delayMs: this.options.delayMs ?? 25, closed: closed.buffer };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.unref();
      const running: Running = { worker, closed };
      worker.on('message', (m: unknown) => this.onMessage(running, m));
      worker.on('error', (err) => this.fail(running, err));
      this.running = running;
      this.idleTimer = setTimeout(() => this.stop('idle'), this.options.idleMs ?? 30_000);
      this.idleTimer.unref();
      return true;
    } catch (err) {
      this.failed = true;
      this.options.onError?.(err);
      return false;
    }
  }

  private onMessage(from: Running, m: unknown): void {
    if (typeof m === 'object' && m !== null && 'error' in m) {
      this.options.onError?.(new Error(`WAL checkpoint: ${String(m.error)}`));
      return;
    }
    if (from !== this.running) return;
    this.requested = false;
    if (this.again) {
      this.again = false;
      this.requested = true;
      from.worker.postMessage('check');
    }
  }

  private fail(from: Running, err: unknown): void {
    if (from === this.running) {
      this.failed = true;
      this.stop('close');
    }
    this.options.onError?.(err);
  }
}
