import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { CallbackDelivery, type CallbackDeliveryOptions } from '../../main/agent/callback/callback-delivery.js';
import type { AgentStore } from '../../main/agent/store/agent-store.js';
import { callbackRows, storeWithCallback } from '../support/callback-store.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { SeededRandom } from './support/seeded-random.js';

/**
 * Callback delivery (main/agent/callback/callback-delivery.ts) against a real AgentStore and real HTTP receivers, on a
 * simulated clock: an hour-long outage, a receiver slower than the request timeout, 410. Defaults of the delivery:
 * first retry ceiling 2 s, doubling, capped at 15 min, full jitter (uniform in [0, ceiling], at least 100 ms).
 */
const BASE_MS = 2000;
const CAP_MS = 15 * 60_000;
const HOUR_S = 3600;
const SECRET = 'callback-secret-0123456789';
const logger = winston.createLogger({ silent: true });

/**
 * The schedule the delivery must follow, computed independently: attempt at t, next at t + max(100, ⌊r·min(cap,
 * base·2^k)⌋) while that is before the ttl. Returns the number of requests and when the last one goes out.
 */
function expectedSchedule(draw: () => number, ttlMs: number): { attempts: number; lastAtMs: number } {
  let t = 0;
  for (let k = 0; ; k++) {
    const d = Math.max(100, Math.floor(draw() * Math.min(CAP_MS, BASE_MS * 2 ** Math.min(k, 30))));
    if (t + d >= ttlMs) return { attempts: k + 1, lastAtMs: t };
    t += d;
  }
}

describe('reliability: callback receiver faults (simulated clock, real store, real HTTP)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(answer: Parameters<typeof CallbackReceiver.start>[0], extra: Partial<CallbackDeliveryOptions> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-cb-faults-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await CallbackReceiver.start(answer);
    cleanups.push(() => receiver.close());
    const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
    const now = () => new Date(clock.t);
    const file = join(dir, 'agent.db');
    const { store, sessionId } = storeWithCallback(file, receiver.url('/hook'), { now, ttlS: HOUR_S });
    cleanups.push(() => store.close());
    const delivery = new CallbackDelivery({ store, signing: { signer: '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e22', key: () => SECRET }, policy: { allow: ['127.0.0.1'] }, logger, now, ...extra });
    const startedAt = clock.t;
    /** Runs passes, jumping the clock to the row's next attempt, until it is settled; returns the attempt times. */
    const settle = async (s: AgentStore = store) => {
      const times: number[] = [];
      for (;;) {
        const row = s.dueCallbacks(new Date('9999-12-31T00:00:00Z'), 1)[0];
        if (!row) return times;
        clock.t = Math.max(clock.t, Date.parse(row.nextattempton));
        times.push(clock.t - startedAt);
        await delivery.deliverDue();
      }
    };
    return { receiver, store, sessionId, file, clock, delivery, settle };
  }

  it('receiver down for the whole hour (503): attempts follow backoff + jitter exactly, one Idempotency-Key, given up at the ttl', async () => {
    const figures: string[] = [];
    for (const [name, random] of [
      ['seeded jitter (seed 42)', () => new SeededRandom(42)],
      ['jitter always at its ceiling (fewest attempts)', () => ({ next: () => 1 })],
    ] as const) {
      const rng = random();
      const model = expectedSchedule(() => rng.next(), HOUR_S * 1000);
      const live = random();
      const { receiver, sessionId, file, settle } = await setup(() => ({ status: 503 }), { random: () => live.next() });
      const times = await settle();
      const [row] = callbackRows(file);
      expect(receiver.requests).toHaveLength(model.attempts);
      expect(times.at(-1)).toBe(model.lastAtMs);
      expect(times.at(-1)!).toBeLessThan(HOUR_S * 1000);
      expect(new Set(receiver.keys())).toEqual(new Set([sessionId]));
      expect(row).toMatchObject({ statuscode: 31, httpstatus: 503, retrycount: model.attempts - 1 });
      expect(row!.errormessage).toMatch(/^CallbackFailed: HTTP 503; ttl of 3600 s ends before the next attempt/);
      figures.push(`${name}: ${model.attempts} attempts, last at ${Math.round(model.lastAtMs / 1000)} s`);
    }
    // Bounds: the ceilings 2, 4, … 512 s then 900 s give the fewest attempts (12); 100 ms floors give at most 36,000.
    expect(figures[1]).toMatch(/^.*: 12 attempts/);
  });

  it('receiver down (connection refused) for the hour: same schedule, nothing sent, failed at the ttl', async () => {
    const rng = new SeededRandom(7);
    const model = expectedSchedule(() => rng.next(), HOUR_S * 1000);
    const live = new SeededRandom(7);
    const { receiver, file, settle } = await setup(() => ({ status: 200 }), { random: () => live.next() });
    await receiver.close(); // nothing listens on the port now
    const times = await settle();
    const [row] = callbackRows(file);
    expect(times).toHaveLength(model.attempts);
    expect(row).toMatchObject({ statuscode: 31, retrycount: model.attempts - 1 });
    expect(row!.errormessage).toMatch(/ECONNREFUSED; ttl of 3600 s ends before the next attempt/);
  });

  it('slow receiver (answers after 3 s, request timeout 300 ms): a network error, retried; the retry succeeds; the receiver sees the key twice', async () => {
    const { receiver, sessionId, file, settle } = await setup((n) => (n === 0 ? { status: 200, delayMs: 3000 } : { status: 200 }), {
      requestTimeoutMs: 300,
      random: () => 0.5,
    });
    await settle();
    const [row] = callbackRows(file);
    expect(row).toMatchObject({ statuscode: 30, httpstatus: 200, retrycount: 1 });
    // At-least-once: the slow request did arrive; the Idempotency-Key lets the receiver drop the second.
    expect(receiver.keys()).toEqual([sessionId, sessionId]);
    // The request timeout, not the answer, ended the first attempt: the retry arrived before any reply was sent.
    expect(receiver.requests.map((r) => r.repliesBefore)).toEqual([0, 0]);
  });

  it('410 Gone: exactly one attempt, failed, never retried', async () => {
    const { receiver, file, settle, clock, delivery } = await setup(() => ({ status: 410 }));
    await settle();
    clock.t += 2 * HOUR_S * 1000;
    expect(await delivery.deliverDue()).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    expect(callbackRows(file)[0]).toMatchObject({ statuscode: 31, httpstatus: 410, retrycount: 0, errormessage: 'CallbackFailed: HTTP 410' });
  });
});
