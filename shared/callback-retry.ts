/**
 * When a completion callback is tried again: the one retry policy of the agent and the orchestrator.
 *
 * Full jitter (uniform in [0, min(cap, base × 2^attempt)]): of the jitter schemes it spreads a crowd of senders that
 * failed together (a receiver back from an outage) the widest and makes the fewest calls in total; half jitter
 * clusters them in the upper half. Capped at 15 min: a receiver down for hours gets about eight tries an hour per
 * callback over the 24 h ttl, and one that knows better says so with `Retry-After`, which both senders honour.
 */
export interface CallbackRetryPolicy {
  /** Ceiling of the first retry's delay (ms); doubles per attempt. */
  readonly baseDelayMs: number;
  /** Cap of the ceiling (ms). */
  readonly maxDelayMs: number;
}

export const CALLBACK_RETRY_POLICY: CallbackRetryPolicy = { baseDelayMs: 2000, maxDelayMs: 15 * 60_000 };
/** No retry sooner than this, whatever the jitter drew or a `Retry-After: 0` asked (a receiver cannot make us spin). */
export const MIN_CALLBACK_RETRY_MS = 100;

/** The delay before retry number `retrycount + 1` (`random` in [0, 1), Math.random in production). */
export function callbackBackoffMs(retrycount: number, random: () => number, policy: CallbackRetryPolicy = CALLBACK_RETRY_POLICY): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * Math.pow(2, Math.min(retrycount, 30)));
  return Math.max(MIN_CALLBACK_RETRY_MS, Math.floor(random() * ceiling));
}

/** Retry-After as seconds or an HTTP date → milliseconds from `nowMs` (undefined when absent or unusable). */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its month and zone; Date.parse would also take '-5' or '1.5' as years.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The delay before the next attempt: the receiver's `Retry-After` when it gave a usable one, else the backoff. */
export function callbackRetryDelayMs(retrycount: number, retryAfter: string | undefined, nowMs: number, random: () => number, policy?: CallbackRetryPolicy): number {
  const hinted = retryAfterMs(retryAfter, nowMs);
  return hinted === undefined ? callbackBackoffMs(retrycount, random, policy) : Math.max(MIN_CALLBACK_RETRY_MS, hinted);
}
