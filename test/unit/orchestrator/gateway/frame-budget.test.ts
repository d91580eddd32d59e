import { describe, expect, it } from 'vitest';
import { FrameBudget } from '../../../../orchestrator/gateway/frame-budget.js';

describe('FrameBudget', () => {
  it('takes frames while the burst lasts, then says how long until the refill covers the next', () => {
    let t = 0;
    const budget = new FrameBudget({ bytesPerSecond: 1000, burstBytes: 2000, framesPerSecond: 10, burstFrames: 3 }, () => new Date(t));
    expect(budget.take(1500)).toBe(0);
    expect(budget.take(1000)).toBe(500); // 500 bytes left: 500 ms to 1000
    t += 500;
    expect(budget.take(1000)).toBe(0);
    expect(budget.take(1)).toBe(1);
  });

  it('counts frames apart from bytes', () => {
    const budget = new FrameBudget({ bytesPerSecond: 1e9, burstBytes: 1e9, framesPerSecond: 10, burstFrames: 2 }, () => new Date(0));
    expect(budget.take(1)).toBe(0);
    expect(budget.take(1)).toBe(0);
    expect(budget.take(1)).toBe(100);
  });

  it('lets a frame larger than the burst pass once the bucket is full, leaving it in debt', () => {
    let t = 0;
    const budget = new FrameBudget({ bytesPerSecond: 1000, burstBytes: 1000, framesPerSecond: 100, burstFrames: 100 }, () => new Date(t));
    expect(budget.take(3000)).toBe(0);
    expect(budget.take(10)).toBe(2010);
    t += 3000;
    expect(budget.take(10)).toBe(0);
  });
});
