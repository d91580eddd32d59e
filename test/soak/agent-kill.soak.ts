import { describe, expect, it } from 'vitest';
import { runAgentKillChaos } from '../reliability/support/agent-kill-chaos.js';
import { failureTally, formatFigures, NO_FAILURES } from '../reliability/support/chaos-run.js';

const seed = Number(process.env['FLOWHOST_SOAK_SEED'] ?? 20260101);
const kills = Number(process.env['FLOWHOST_SOAK_KILLS'] ?? 100);

describe('soak: kill -9 of the agent', () => {
  it(`seed ${seed}, ${kills} kills: no committed event lost or doubled, no session run twice`, async () => {
    const f = await runAgentKillChaos({ seed, kills, minUpMs: 100, maxUpMs: 2000, lines: 1000, log: (l) => console.log(l) });
    console.log(`agent kill -9 (soak)\n${formatFigures(f)}`);
    expect(f.kills).toBe(kills);
    expect(failureTally(f)).toEqual(NO_FAILURES);
  });
});
