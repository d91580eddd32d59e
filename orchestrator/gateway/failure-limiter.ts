export interface FailureLimiterOptions {
  /** Failures per key within the window answered without delay. */
  readonly free: number;
  readonly windowMs: number;
  /** Delay of the first slowed answer; each further failure doubles it, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly now: () => Date;
}

/**
 * Counts failed attempts per key (an address, or a group at an address) in a sliding window and says how long the
 * answer to the next failure waits: nothing for the first `free`, then a doubling delay up to a cap. It never
 * refuses anyone: a right credential is checked and answered at once whatever the count, so an attacker sharing an
 * address (a NAT, a proxy) with real agents slows down only his own wrong answers.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly o: FailureLimiterOptions) {}

  private recent(key: string): number[] {
    const since = this.o.now().getTime() - this.o.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Records a failure of `key`: how many ms its answer waits, and the failures of the key in the window. */
  fail(key: string): Failure {
    const list = this.recent(key);
    // Past the cap the count no longer matters: keep the list short under a flood from one key.
    if (list.length > this.o.free + 64) list.shift();
    list.push(this.o.now().getTime());
    this.failures.set(key, list);
    if (this.failures.size > 100_000) this.failures.clear(); // memory bound under a spray of addresses
    const over = list.length - this.o.free;
    return { delayMs: over <= 0 ? 0 : Math.min(this.o.maxDelayMs, this.o.firstDelayMs * 2 ** Math.min(over - 1, 30)), count: list.length };
  }
}

export interface Failure {
  readonly delayMs: number;
  readonly count: number;
}

/**
 * Waits the failure's delay; returns what the answer adds to its message, so a client (or its operator) learns
 * why the answer was slow: nothing when it was not slowed.
 */
export async function slowDown(f: Failure, whose: string): Promise<string> {
  if (f.delayMs <= 0) return '';
  await new Promise((resolve) => setTimeout(resolve, f.delayMs));
  return `; answered after ${f.delayMs} ms: ${f.count} failures ${whose} within a minute`;
}
