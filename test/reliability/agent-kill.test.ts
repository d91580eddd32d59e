import { describe, expect, it } from 'vitest';
import { runAgentKillChaos } from './support/agent-kill-chaos.js';

describe('reliability: kill -9 of the agent while sessions run and log heavily', () => {
  it('seed 7, 4 kills: no committed event lost or applied twice, killed runs end Aborted (AgentRestarted), none runs twice', async () => {
    const f = await runAgentKillChaos({ seed: 7, kills: 4, minUpMs: 150, maxUpMs: 1500, lines: 1000 });
    expect(f.kills).toBe(4);
    expect(f.losses).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(f.misordered).toBe(0);
    expect(f.eventsUnapplied).toBe(0);
    expect(f.eventsApplied).toBe(f.eventsCommitted);
    expect(f.ranTwice).toBe(0);
    expect(f.otherEnd).toBe(0);
    expect(f.abortedAgentRestarted).toBeGreaterThan(0);
    for (const a of f.audits.filter((s) => s.statuscode === 4)) expect(a.upstream).toBe(1000);
  }, 120_000);
});
