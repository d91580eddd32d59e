import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../../../orchestrator/gateway/failure-limiter.js';

describe('FailureLimiter', () => {
  it('answers the free failures at once, then doubles the delay up to the cap, per key, and forgets after the window', () => {
    let t = 0;
    const limiter = new FailureLimiter({ free: 2, windowMs: 60_000, firstDelayMs: 100, maxDelayMs: 350, now: () => new Date(t) });
    const delays = Array.from({ length: 6 }, () => limiter.fail('a').delayMs);
    expect(delays).toEqual([0, 0, 100, 200, 350, 350]);
    expect(limiter.fail('b')).toEqual({ delayMs: 0, count: 1 });
    t += 60_001;
    expect(limiter.fail('a')).toEqual({ delayMs: 0, count: 1 });
  });
});
