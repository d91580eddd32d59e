/**
 * A cap on slow credential checks (scrypt, ~40 ms of a thread-pool thread each) in flight at once. Beyond it a
 * request is answered 503 + Retry-After at once instead of queueing: a burst of attempts can neither take every
 * libuv thread (the store's fsyncs run there too) nor pile up work the attacker has already stopped waiting for.
 */
export class VerificationSlots {
  private inFlight = 0;

  constructor(readonly max: number) {}

  /** Runs `verify` in a slot; 'busy' (without running it) when every slot is taken. */
  async run(verify: () => Promise<boolean>): Promise<boolean | 'busy'> {
    if (this.inFlight >= this.max) return 'busy';
    this.inFlight++;
    try {
      return await verify();
    } finally {
      this.inFlight--;
    }
  }
}

/** Seconds a client told "busy" waits before it tries again. */
export const BUSY_RETRY_AFTER_S = 1;
