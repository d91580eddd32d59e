import { describe, expect, it } from 'vitest';
import { runOrchestratorFaults } from './support/orchestrator-fault-run.js';

describe('reliability: orchestrator kill -9, orchestrator down, network partition', () => {
  it('seed 11: kill -9 + 3 s down, then a black-holed link: the agent buffers, detects the dead link by ping timeout, reconnects; nothing lost or doubled', async () => {
    const f = await runOrchestratorFaults({
      seed: 11,
      faults: [
        { kind: 'kill', downMs: 3000 },
        { kind: 'partition', holdMs: 1500 },
      ],
      minUpMs: 300,
      maxUpMs: 800,
      lines: 2000,
      heartbeatIntervalMs: 300,
    });
    expect(f.orchestratorKills).toBe(1);
    expect(f.partitions).toBe(1);
    // The black-holed link is dropped by the ping timeout (no FIN, no RST reaches the agent), while it is cut; the
    // kill's closed socket is not a silence. How long detection took is a figure of the soak report (npm run test:soak).
    expect(f.partitionTimelines).toEqual(['cut → disconnected → heal']);
    expect(f.silenceDrops).toBe(1);
    expect(f.losses).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(f.misordered).toBe(0);
    expect(f.eventsUnapplied).toBe(0);
    expect(f.ranTwice).toBe(0);
    expect(f.otherEnd).toBe(0);
    expect(f.maxBacklogWhileDown).toBeGreaterThan(0);
    expect(f.adminTokenInLogs).toBe(0);
    for (const a of f.audits) expect(a.upstream).toBe(2000);
  }, 120_000);
});
