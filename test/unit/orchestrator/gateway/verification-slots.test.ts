import { describe, expect, it } from 'vitest';
import { VerificationSlots } from '../../../../orchestrator/gateway/verification-slots.js';

describe('VerificationSlots', () => {
  it('runs up to max at once, queues up to maxWaiting, answers busy beyond, and hands a freed slot to the first waiter', async () => {
    const slots = new VerificationSlots(1, 1);
    const gates: (() => void)[] = [];
    const started: number[] = [];
    const check = (n: number) => () => new Promise<boolean>((resolve) => { started.push(n); gates.push(() => resolve(true)); });
    const a = slots.run(check(1));
    const b = slots.run(check(2));
    expect(await slots.run(check(3))).toBe('busy');
    await Promise.resolve();
    expect(started).toEqual([1]);
    gates.shift()!();
    expect(await a).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    gates.shift()!();
    expect(await b).toBe(true);
    expect(await slots.run(async () => false)).toBe(false);
  });
});
