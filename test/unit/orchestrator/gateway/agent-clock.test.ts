import { describe, expect, it } from 'vitest';
import { AgentClock, NEGLIGIBLE_SKEW_MS } from '../../../../orchestrator/gateway/agent-clock.js';
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
    const far = AgentClock.fromHello('1970-01-01T00:00:00.000Z', now);
    expect(far.map('9999-12-31T00:00:00.000Z')).toBe('9999-12-31T00:00:00.000Z');
  });
});
