import { describe, expect, it } from 'vitest';
import { FailureTracker } from '../../../../main/electron/session-failures.js';
import type { RecentSessionStatus } from '../../../../shared/status.js';

const s = (id: string, statuscode: number, errormessage?: string): RecentSessionStatus => ({ sessionId: id, name: `flow ${id}`, statuscode, acceptedon: '2026-01-01T00:00:00.000Z', ...(errormessage ? { errormessage } : {}) });

describe('FailureTracker', () => {
  it('does not replay failures that were there at start, then reports each new failure once', () => {
    const t = new FailureTracker();
    expect(t.newFailures([s('old', 8)])).toEqual([]);
    expect(t.newFailures([s('a', 8, 'exit code 3'), s('old', 8)])).toEqual([{ sessionId: 'a', title: 'flow a: Failed', body: 'exit code 3' }]);
    expect(t.newFailures([s('a', 8, 'exit code 3'), s('old', 8)])).toEqual([]);
  });

  it('counts Failed, Faulted, TimedOut and Aborted, not Succeeded or Cancelled', () => {
    const t = new FailureTracker();
    t.newFailures([]);
    const notices = t.newFailures([s('1', 4), s('2', 7), s('3', 8), s('4', 9), s('5', 10), s('6', 11), s('7', 2)]);
    expect(notices.map((n) => n.title)).toEqual(['flow 3: Failed', 'flow 4: Faulted', 'flow 5: TimedOut', 'flow 6: Aborted']);
    expect(notices[0]?.body).toBe('no reason given');
  });
});
