import { availableParallelism } from 'node:os';

/**
 * A cap on slow credential checks (scrypt, ~40 ms of a thread-pool thread each) in flight at once, with a short
 * queue behind it. Beyond the queue a request is answered 503 + Retry-After at once: a burst of attempts can
 * neither take every libuv thread (the store's fsyncs run there too) nor pile up work the attacker has already
 * stopped waiting for, while a few machines registering together just wait their turn.
 */
export class VerificationSlots {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly max: number,
    readonly maxWaiting: number,
  ) {}

  /** Runs `verify` in a slot (after a wait in the queue); 'busy' (without running it) when the queue is full too. */
  async run(verify: () => Promise<boolean>): Promise<boolean | 'busy'> {
    if (this.inFlight >= this.max) {
      if (this.waiting.length >= this.maxWaiting) return 'busy';
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    try {
      return await verify();
    } finally {
      // The slot passes to the first waiter as it is; only without one is it freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}

/**
 * Half the cores, at most 2 (libuv has 4 threads and the store's fsyncs need theirs), at least 1: the event loop
 * keeps a core of its own while checks run.
 */
export const DEFAULT_VERIFICATION_SLOTS = Math.max(1, Math.min(2, Math.floor(availableParallelism() / 2)));
/** Checks that may wait for a slot: at ~40 ms a check, a wait of well under a second. */
export const DEFAULT_VERIFICATIONS_WAITING = 8;

/** Seconds a client told "busy" waits before it tries again. */
export const BUSY_RETRY_AFTER_S = 1;
