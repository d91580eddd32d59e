import { describe, expect, it } from 'vitest';
import { AgentClock, MAX_TRUSTED_SKEW_MS, NEGLIGIBLE_SKEW_MS } from '../../../../orchestrator/gateway/agent-clock.js';
import type { SessionEvent } from '../../../../shared/protocol.js';

const now = new Date('2026-12-06T12:00:00.000Z');
const agentTime = (offsetMs: number) => new Date(now.getTime() - offsetMs).toISOString();

describe('AgentClock', () => {
  it('maps the timestamps of an agent whose clock is off by minutes onto the orchestrator clock', () => {
    const clock = AgentClock.fromHello(agentTime(5 * 60_000), now);
    expect(clock.map('2026-12-06T11:55:00.250Z')).toBe('2026-12-06T12:00:00.250Z');
    const event: SessionEvent = { seq: 1, sessionId: 's', at: '2026-12-06T11:55:01.000Z', kind: 'log', lines: [{ seq: 1, level: 100000000, stream: 'stdout', at: '2026-12-06T11:55:00.500Z', message: 'x' }] };
    const log = clock.mapEvent(event);
    expect(log).toMatchObject({ at: '2026-12-06T12:00:01.000Z', lines: [{ at: '2026-12-06T12:00:00.500Z' }] });
  });

  it('takes an offset below the measurement error as no skew: timestamps pass through untouched', () => {
    for (const offset of [0, 3, -250, NEGLIGIBLE_SKEW_MS - 1, -(NEGLIGIBLE_SKEW_MS - 1)]) {
      const clock = AgentClock.fromHello(agentTime(offset), now);
      expect(clock).toBe(AgentClock.identity);
      const event: SessionEvent = { seq: 2, sessionId: 's', at: '2026-12-06T11:59:59.999Z', kind: 'status', statuscode: 2 };
      expect(clock.mapEvent(event)).toBe(event);
    }
    expect(AgentClock.fromHello(agentTime(NEGLIGIBLE_SKEW_MS), now).offsetMs).toBe(NEGLIGIBLE_SKEW_MS);
  });

  it('keeps a missing or unparseable agentTime as no skew, and refuses to map outside 1970..9999', () => {
    expect(AgentClock.fromHello(undefined, now)).toBe(AgentClock.identity);
    expect(AgentClock.fromHello('not a time', now)).toBe(AgentClock.identity);
    const behind = AgentClock.fromHello(agentTime(3_600_000), now);
    expect(behind.map('9999-12-31T23:30:00.000Z')).toBe('9999-12-31T23:30:00.000Z');
  });

  it('does not trust a clock off by more than MAX_TRUSTED_SKEW_MS (year 0001): its timestamps become their arrival time', () => {
    let t = now.getTime();
    const clock = AgentClock.fromHello('0001-01-01T00:00:00.000Z', now, () => new Date(t));
    expect(clock.trusted).toBe(false);
    t += 5000;
    // The agent's clock was corrected after its hello: the real time it now reports must not map to year 4052.
    const started = clock.mapEvent({ seq: 1, sessionId: 's', at: new Date(t).toISOString(), kind: 'started', startedon: new Date(t).toISOString() });
    expect(started).toMatchObject({ at: new Date(t).toISOString(), startedon: new Date(t).toISOString() });
    expect(AgentClock.fromHello(agentTime(MAX_TRUSTED_SKEW_MS - 1000), now).trusted).toBe(true);
    expect(AgentClock.fromHello(agentTime(-(MAX_TRUSTED_SKEW_MS + 1000)), now).trusted).toBe(false);
  });

  it('never maps the instant of a deadline or duration later than now (a clock that jumps forward after its hello)', () => {
    const clock = AgentClock.fromHello(agentTime(5 * 60_000), now, () => now);
    expect(clock.mapInstant('4052-01-01T00:00:00.000Z')).toBe(now.toISOString());
    expect(clock.mapInstant('2026-12-06T11:50:00.000Z')).toBe('2026-12-06T11:55:00.000Z');
    const exact = AgentClock.fromHello(now.toISOString(), now, () => now);
    const completed = exact.mapEvent({ seq: 1, sessionId: 's', at: now.toISOString(), kind: 'completed', statuscode: 4, completedon: '9000-01-01T00:00:00.000Z', startedon: '2026-12-06T11:00:00.000Z' });
    expect(completed).toMatchObject({ completedon: now.toISOString(), startedon: '2026-12-06T11:00:00.000Z' });
  });
});
