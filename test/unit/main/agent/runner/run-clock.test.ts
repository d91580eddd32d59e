import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { RunDeadline } from '../../../../../main/agent/runner/run-clock.js';

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
afterEach(() => vi.useRealTimers());

it('does not count paused time against the run timeout', () => {
  const expired = vi.fn();
  const d = new RunDeadline(1000, expired);
  d.start();
  vi.advanceTimersByTime(600);
  d.pause();
  vi.advanceTimersByTime(5000);
  expect(expired).not.toHaveBeenCalled();
  d.start();
  vi.advanceTimersByTime(399);
  expect(expired).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(expired).toHaveBeenCalledOnce();
});

it('never fires after stop()', () => {
  const expired = vi.fn();
  const d = new RunDeadline(100, expired);
  d.start();
  d.stop();
  d.start();
  vi.advanceTimersByTime(1000);
  expect(expired).not.toHaveBeenCalled();
});
