import { describe, expect, it } from 'vitest';
import { latestDueBefore, nextDueAfter, nextRunOn, scheduleProblems, type ScheduleTiming } from '../../../shared/schedule-times.js';

const timing = (t: Partial<ScheduleTiming>): ScheduleTiming => ({ cronexpression: '* * * * * *', timezone: null, starton: null, endon: null, isenabled: null, ...t });
const runs = (t: ScheduleTiming, from: string, n: number): string[] => {
  const out: string[] = [];
  let at: Date | null = new Date(from);
  while (out.length < n && (at = nextDueAfter(t, at))) out.push(at.toISOString());
  return out;
};
const NOW = new Date('2030-01-01T00:00:00.000Z');

describe('due times across daylight-saving changes (Europe/Berlin)', () => {
  const berlin = (cronexpression: string) => timing({ cronexpression, timezone: 'Europe/Berlin' });

  it('keeps a 09:00 local time on 09:00 when clocks go forward and back (UTC hour moves)', () => {
    expect(runs(berlin('0 9 * * *'), '2030-03-30T00:00:00Z', 3)).toEqual(['2030-03-30T08:00:00.000Z', '2030-03-31T07:00:00.000Z', '2030-04-01T07:00:00.000Z']);
    expect(runs(berlin('0 9 * * *'), '2030-10-26T00:00:00Z', 3)).toEqual(['2030-10-26T07:00:00.000Z', '2030-10-27T08:00:00.000Z', '2030-10-28T08:00:00.000Z']);
  });

  it('runs a fixed time that does not exist (02:30 on 31 March) when the clock has jumped, and one that occurs twice (27 October) once', () => {
    expect(runs(berlin('0 30 2 * * *'), '2030-03-30T01:30:00Z', 3)).toEqual(['2030-03-31T01:00:00.000Z', '2030-04-01T00:30:00.000Z', '2030-04-02T00:30:00.000Z']);
    expect(runs(berlin('0 30 2 * * *'), '2030-10-26T01:00:00Z', 2)).toEqual(['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']);
  });

  it('runs an interval every 30 real minutes through both changes (the repeated hour twice, the missing hour not at all)', () => {
    expect(runs(berlin('*/30 * * * *'), '2030-03-31T00:15:00Z', 3)).toEqual(['2030-03-31T00:30:00.000Z', '2030-03-31T01:00:00.000Z', '2030-03-31T01:30:00.000Z']);
    expect(runs(berlin('*/30 * * * *'), '2030-10-27T00:15:00Z', 4)).toEqual(['2030-10-27T00:30:00.000Z', '2030-10-27T01:00:00.000Z', '2030-10-27T01:30:00.000Z', '2030-10-27T02:00:00.000Z']);
  });

  it('finds the latest due time before an instant across the change', () => {
    expect(latestDueBefore(berlin('0 9 * * *'), new Date('2030-04-01T06:59:59.500Z'))?.toISOString()).toBe('2030-03-31T07:00:00.000Z');
    expect(latestDueBefore(berlin('0 9 * * *'), new Date('2030-04-01T07:00:00.001Z'))?.toISOString()).toBe('2030-04-01T07:00:00.000Z');
    expect(latestDueBefore(berlin('0 9 * * *'), new Date('2030-04-01T07:00:00.000Z'))?.toISOString()).toBe('2030-03-31T07:00:00.000Z');
  });
});

describe('the window and the enabled flag', () => {
  it('starts at starton (inclusive) and ends before endon (exclusive)', () => {
    const t = timing({ starton: '2030-01-01T00:00:10.000Z', endon: '2030-01-01T00:00:12.000Z' });
    expect(runs(t, '2030-01-01T00:00:00Z', 5)).toEqual(['2030-01-01T00:00:10.000Z', '2030-01-01T00:00:11.000Z']);
    expect(nextRunOn(t, new Date('2030-01-01T00:00:11.000Z'))).toBeNull();
    expect(latestDueBefore(t, new Date('2030-01-01T00:00:09.000Z'))).toBeNull();
  });

  it('has no next due time when disabled; null is enabled', () => {
    expect(nextRunOn(timing({ isenabled: false }), NOW)).toBeNull();
    expect(nextRunOn(timing({ isenabled: true }), NOW)).toBe('2030-01-01T00:00:01.000Z');
    expect(nextRunOn(timing({}), NOW)).toBe('2030-01-01T00:00:01.000Z');
  });

  it('reads five fields as minutes (seconds 0) and six with seconds first', () => {
    expect(nextRunOn(timing({ cronexpression: '*/5 * * * *' }), NOW)).toBe('2030-01-01T00:05:00.000Z');
    expect(nextRunOn(timing({ cronexpression: '*/5 * * * * *' }), NOW)).toBe('2030-01-01T00:00:05.000Z');
  });
});

describe('scheduleProblems', () => {
  it('accepts a valid schedule', () => {
    expect(scheduleProblems({ ...timing({ cronexpression: '0 9 * * 1-5', timezone: 'America/New_York' }), inputs: '{"a":1}' }, NOW)).toEqual([]);
  });

  it.each([
    ['61 * * * *', /cronexpression '61 \* \* \* \*' is not a valid cron expression .*minute/],
    ['every day', /not a valid cron expression .*five, six, or seven/],
    ['* * * * * * *', /not a valid cron expression .*5 or 6 parts/],
    ['0 0 30 2 *', /cronexpression '0 0 30 2 \*' never comes due/],
  ])('refuses the cron expression %j', (cronexpression, message) => {
    const problems = scheduleProblems(timing({ cronexpression }), NOW);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('refuses an unknown time zone by name', () => {
    expect(scheduleProblems(timing({ timezone: 'Mars/Olympus_Mons' }), NOW)).toEqual([
      "timezone 'Mars/Olympus_Mons' is not an IANA time zone (for example UTC, Europe/Berlin, America/New_York)",
    ]);
  });

  it('refuses endon before (or at) starton, and a window without a due time', () => {
    expect(scheduleProblems(timing({ starton: '2030-02-01T00:00:00.000Z', endon: '2030-01-01T00:00:00.000Z' }), NOW)).toEqual([
      'endon (2030-01-01T00:00:00.000Z) must be later than starton (2030-02-01T00:00:00.000Z)',
    ]);
    expect(scheduleProblems(timing({ starton: '2030-02-01T00:00:00.000Z', endon: '2030-02-01T00:00:00.000Z' }), NOW)).toHaveLength(1);
    expect(scheduleProblems(timing({ cronexpression: '0 0 1 6 *', starton: '2030-02-01T00:00:00.000Z', endon: '2030-03-01T00:00:00.000Z' }), NOW)).toEqual([
      "cronexpression '0 0 1 6 *' has no due time between starton and endon",
    ]);
  });

  it('refuses a schedule that targets neither or both of a group and a machine', () => {
    const group = '0b4f8f5e-1c61-4d7e-9a55-8a1d2f3c4b5a';
    const target = 'a schedule targets exactly one of _machinegroupid_value (a group) or _machineid_value (a machine)';
    expect(scheduleProblems({ ...timing({}), _machinegroupid_value: null, _machineid_value: null }, NOW)).toEqual([target]);
    expect(scheduleProblems({ ...timing({}), _machinegroupid_value: group, _machineid_value: group }, NOW)).toEqual([target]);
    expect(scheduleProblems({ ...timing({}), _machinegroupid_value: group, _machineid_value: null }, NOW)).toEqual([]);
  });

  it('refuses inputs that are not a JSON object, and a missing expression', () => {
    expect(scheduleProblems({ ...timing({}), inputs: '{"a":' }, NOW)[0]).toMatch(/^inputs is not valid JSON: /);
    expect(scheduleProblems({ ...timing({}), inputs: '[1]' }, NOW)).toEqual(['inputs must be a JSON object']);
    expect(scheduleProblems(timing({ cronexpression: null }), NOW)).toEqual(['cronexpression is required']);
  });
});
