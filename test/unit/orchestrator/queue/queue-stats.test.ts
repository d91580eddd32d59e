import { describe, expect, it } from 'vitest';
import { HeldStatuses, lineDepth, queueStats } from '../../../../orchestrator/queue/queue-stats.js';
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

describe('HeldStatuses: the statuses of the sessions machines hold, without a row read per scrape', () => {
  it('reads a session it does not know once, then counts from memory; forgets what is no longer held', async () => {
    const reads: string[] = [];
    const held = new HeldStatuses(async (id) => {
      reads.push(id);
      return id === 'gone' ? undefined : 2;
    });
    held.set('a', 3);
    expect(await held.tally(['a', 'b', 'gone'])).toEqual(new Map([[3, 1], [2, 1]]));
    expect(reads).toEqual(['b', 'gone']);
    held.set('a', 2);
    expect(await held.tally(['a', 'b'])).toEqual(new Map([[2, 2]]));
    expect(reads).toEqual(['b', 'gone']);
    // A replayed event of an ended session set it again: it is not held, so it neither counts nor stays.
    held.set('ended', 2);
    expect(await held.tally(['b'])).toEqual(new Map([[2, 1]]));
    expect(await held.tally(['ended'])).toEqual(new Map([[2, 1]]));
    expect(reads).toContain('ended');
  });

  it('queueStats: offers counted, confirmed sessions tallied, every group with a machine shown', async () => {
    const held = new HeldStatuses(async () => 2);
    const stats = await queueStats(
      {
        lines: [{ key: 'g1', sessions: [view('w', '2026-12-07T11:59:00.000Z')] }],
        groupsWithMachines: ['g1', 'g2', 'g2'],
        assignments: [['o', { state: 'offered' }], ['c', { state: 'confirmed' }]],
      },
      held,
      NOW,
    );
    expect(stats.lines.map((l) => [l.partition, l.waiting])).toEqual([['g1', 1], ['g2', 0]]);
    expect(stats.offered).toBe(1);
    expect(stats.held).toEqual(new Map([[2, 1]]));
  });
});
