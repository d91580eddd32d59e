/**
 * Runs async jobs one at a time, in the order they were queued: a read-decide-write over in-memory state that spans
 * store calls (answers that may really be asynchronous) is not interleaved with another such job. A job's rejection
 * goes to its caller; the lane goes on with the next. Never queue a job on a lane from inside a job of the same lane
 * (it would wait for itself), nor from inside a store transaction that a job of the lane may be waiting to open.
 */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Jobs queued or running. */
  get size(): number {
    return this.queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(job).finally(() => this.queued--);
    // The next job waits for this one to settle, whatever its outcome; its rejection is its caller's.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every job queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
