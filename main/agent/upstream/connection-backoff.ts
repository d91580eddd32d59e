/** Reconnect delays: exponential growth, full jitter, a cap, and a reset once a connection proved healthy. */
export interface BackoffOptions {
  /** Upper bound of the first delay (ms). Default 500. */
  readonly initialMs?: number;
  /** Cap of any delay (ms). Default 30 000. */
  readonly maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor?: number;
  /** A connection that stayed up this long (ms) resets the attempts. Default 10 000. */
  readonly healthyAfterMs?: number;
  /** Uniform random in [0, 1); injected in tests. Default Math.random. */
  readonly random?: () => number;
}

/** Ceiling of the delay before attempt `attempt` (0-based): min(cap, initial × factor^attempt). */
export function backoffCeiling(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  // Math.pow overflows to Infinity for large attempts; min() keeps the cap.
  return Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
}

/** Full jitter (AWS architecture blog): a uniform delay in [0, ceiling], so a fleet does not reconnect in step. */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(attempt, options));
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt; each call counts one failed attempt. */
  next(): number {
    const delay = backoffDelay(this.attempt, this.random, this.options);
    if (backoffCeiling(this.attempt, this.options) < (this.options.maxMs ?? 30_000)) this.attempt += 1;
    return delay;
  }

  /** A connection ended after `upMs` of health: reset when it lasted long enough. */
  connectionEnded(upMs: number): void {
    if (upMs >= (this.options.healthyAfterMs ?? 10_000)) this.reset();
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
