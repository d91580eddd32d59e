import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Backoff, backoffCeiling, backoffDelay } from '../../../../../main/agent/upstream/connection-backoff.js';

describe('connection backoff', () => {
  it('grows exponentially up to the 30 s cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 5000].map((a) => backoffCeiling(a));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
  });

  it('uses full jitter: random 0 → 0 ms, random → 1 approaches the ceiling', () => {
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, () => 0.999999)).toBe(3999);
  });

  it('every delay lies in [0, cap] whatever the attempt and the random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(attempt, () => r);
        return d >= 0 && d <= 30_000 && Number.isInteger(d);
      }),
    );
  });

  it('counts attempts and resets only after a healthy connection', () => {
    const b = new Backoff({ random: () => 0.999, healthyAfterMs: 10_000 });
    const delays = [b.next(), b.next(), b.next()];
    expect(delays).toEqual([499, 999, 1998]);
    b.connectionEnded(2_000);
    expect(b.next()).toBe(3996);
    b.connectionEnded(10_000);
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(499);
  });

  it('stops counting once the cap is reached (no overflow after many failures)', () => {
    const b = new Backoff({ random: () => 1 });
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.attempts).toBe(6); // attempt 6 is the first whose ceiling is the cap
    expect(b.next()).toBe(30_000);
  });
});
