export interface FailureLimiterOptions {
  /** Failures allowed per key within the window. */
  readonly max: number;
  readonly windowMs: number;
  readonly now: () => Date;
}

/** Counts failed attempts per key (remote address, group name) in a sliding window, against brute force. */
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

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const list = this.recent(key);
    if (list.length < this.o.max) return 0;
    const oldest = list[list.length - this.o.max]!;
    return Math.max(1, Math.ceil((oldest + this.o.windowMs - this.o.now().getTime()) / 1000));
  }

  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.o.now().getTime());
    this.failures.set(key, list);
    if (this.failures.size > 100_000) this.failures.clear(); // memory bound under a spray of addresses
  }
}
