import { describe, expect, it } from 'vitest';
import { failureTally, formatFigures, NO_FAILURES } from '../reliability/support/chaos-run.js';
import { runOrchestratorFaults, type Fault } from '../reliability/support/orchestrator-fault-run.js';

const seed = Number(process.env['FLOWHOST_SOAK_SEED'] ?? 20260102);
const longDownMs = Number(process.env['FLOWHOST_SOAK_DOWN_MS'] ?? 180_000);

describe('soak: orchestrator kill -9, minutes down, partitions', () => {
  it(`seed ${seed}: one ${longDownMs / 1000} s outage, 10 kills, 10 partitions — nothing lost or doubled`, async () => {
    const faults: Fault[] = [{ kind: 'kill', downMs: longDownMs }];
    for (let i = 0; i < 10; i++) faults.push({ kind: 'kill', downMs: 1000 + i * 200 }, { kind: 'partition', holdMs: 1500 });
    const f = await runOrchestratorFaults({ seed, faults, minUpMs: 200, maxUpMs: 1500, lines: 3000, heartbeatIntervalMs: 300, log: (l) => console.log(l) });
    console.log(`orchestrator faults (soak)\n${formatFigures(f)}`);
    expect({ ...failureTally(f), token: f.adminTokenInLogs }).toEqual({ ...NO_FAILURES, token: 0 });
  });
});
