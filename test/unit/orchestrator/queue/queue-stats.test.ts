import { describe, expect, it } from 'vitest';
import { lineDepth } from '../../../../orchestrator/queue/queue-stats.js';
import type { SessionView } from '../../../../orchestrator/queue/dispatch-plan.js';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const view = (id: string, createdon: string, scheduledfor: string | null = null): SessionView => ({
  id,
  priority: 0,
  createdon,
  scheduledfor,
  groupId: 'g',
  targetMachineId: null,
  runmode: 2,
  sessionusername: null,
});

describe('lineDepth: one queue line as a scrape sees it', () => {
  it('counts the sessions and finds the oldest creation whatever the line order (priority first)', () => {
    const line = [view('a', '2026-12-07T11:59:00.000Z'), view('b', '2026-12-07T11:50:00.000Z'), view('c', '2026-12-07T11:55:00.000Z')];
    expect(lineDepth('g', line, NOW)).toEqual({ partition: 'g', waiting: 3, scheduled: 0, oldestEligibleMs: Date.parse('2026-12-07T11:50:00.000Z') });
  });

  it('counts a session scheduled ahead apart, and a due one from its scheduled time, not its creation', () => {
    const line = [
      view('later', '2026-12-07T10:00:00.000Z', '2026-12-07T13:00:00.000Z'),
      view('due', '2026-12-07T10:00:00.000Z', '2026-12-07T11:58:00.000Z'),
      view('plain', '2026-12-07T11:59:00.000Z'),
    ];
    expect(lineDepth('g', line, NOW)).toEqual({ partition: 'g', waiting: 2, scheduled: 1, oldestEligibleMs: Date.parse('2026-12-07T11:58:00.000Z') });
  });

  it('an empty line (or one of future sessions only) has no oldest wait', () => {
    expect(lineDepth('g', [], NOW)).toEqual({ partition: 'g', waiting: 0, scheduled: 0, oldestEligibleMs: undefined });
    expect(lineDepth('g', [view('x', '2026-12-07T11:00:00.000Z', '2026-12-08T00:00:00.000Z')], NOW).oldestEligibleMs).toBeUndefined();
  });
});
