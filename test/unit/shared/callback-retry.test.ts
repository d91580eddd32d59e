import { describe, expect, it } from 'vitest';
import { callbackBackoffMs, callbackRetryDelayMs, CALLBACK_RETRY_POLICY, MIN_CALLBACK_RETRY_MS, retryAfterMs } from '../../../shared/callback-retry.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('the callback retry policy (both programs)', () => {
  it('full jitter: uniform below a ceiling of 2 s doubling per attempt, capped at 15 min, at least 100 ms', () => {
    const ceiling = (retrycount: number) => callbackBackoffMs(retrycount, () => 0.999_999);
    expect([0, 1, 2, 3].map(ceiling)).toEqual([1999, 3999, 7999, 15_999]);
    expect(ceiling(9)).toBe(Math.floor(0.999_999 * 15 * 60_000));
    expect(ceiling(1000)).toBe(Math.floor(0.999_999 * 15 * 60_000));
    expect(callbackBackoffMs(5, () => 0.5)).toBe(32_000);
    expect(callbackBackoffMs(5, () => 0)).toBe(MIN_CALLBACK_RETRY_MS);
    expect(CALLBACK_RETRY_POLICY).toEqual({ baseDelayMs: 2000, maxDelayMs: 900_000 });
    expect(callbackBackoffMs(3, () => 0.5, { baseDelayMs: 100, maxDelayMs: 300 })).toBe(150);
  });

  it('Retry-After in seconds or as an HTTP date; anything else is ignored', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 7 ', NOW)).toBe(7000);
    expect(retryAfterMs(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(retryAfterMs(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '99999999999']) expect(retryAfterMs(bad, NOW), String(bad)).toBeUndefined();
  });

  it('a usable Retry-After wins over the backoff, floored so a receiver cannot make the sender spin', () => {
    const random = () => 0.5;
    expect(callbackRetryDelayMs(0, '120', NOW, random)).toBe(120_000);
    expect(callbackRetryDelayMs(0, '0', NOW, random)).toBe(MIN_CALLBACK_RETRY_MS);
    expect(callbackRetryDelayMs(4, 'garbage', NOW, random)).toBe(16_000);
    expect(callbackRetryDelayMs(4, undefined, NOW, random)).toBe(16_000);
  });
});
