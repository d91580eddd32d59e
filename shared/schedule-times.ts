import { Cron } from 'croner';
import { MisfirePolicy, RunMode } from './option-sets.js';
import type { Schedule } from './records/schedule.js';

/**
 * A schedule's due times and the rules of its timing fields, with croner (cron with optional seconds, IANA time zones,
 * DST): a local time that occurs twice when clocks go back runs once for a fixed-time expression (`0 30 2 * * *`) and
 * on both occurrences for an interval one (`0 *\/30 * * * *`); a local time that does not exist when clocks go forward
 * runs when the clock has jumped (fixed time) or is skipped (interval). Pure: the API's validation and the
 * orchestrator's schedule runner both use it.
 */

/** The fields that decide when a schedule is due. */
export type ScheduleTiming = Pick<Schedule, 'cronexpression' | 'timezone' | 'starton' | 'endon' | 'isenabled'>;

/** A write that sets one of these moves `nextrunon`. */
export const SCHEDULE_TIMING_FIELDS: readonly (keyof ScheduleTiming)[] = ['cronexpression', 'timezone', 'starton', 'endon', 'isenabled'];

export const DEFAULT_SCHEDULE_TIMEZONE = 'UTC';

/** What a schedule created without them gets. */
export const SCHEDULE_DEFAULTS = {
  timezone: DEFAULT_SCHEDULE_TIMEZONE,
  isenabled: true,
  misfirepolicy: MisfirePolicy.v.Skip,
  runmode: RunMode.v.Unattended,
  priority: 0,
} as const;

const SECOND_MS = 1000;

/** The expression with its time zone and window; throws (croner's message) when the expression or zone is invalid. */
function cronOf(t: ScheduleTiming, window = true): Cron {
  return new Cron(t.cronexpression ?? '', {
    mode: '5-or-6-parts',
    timezone: t.timezone ?? DEFAULT_SCHEDULE_TIMEZONE,
    ...(window && t.starton ? { startAt: new Date(t.starton) } : {}),
    ...(window && t.endon ? { stopAt: new Date(t.endon) } : {}),
  });
}

/** The first due time strictly after `after`; null when disabled or none is left before `endon`. */
export function nextDueAfter(t: ScheduleTiming, after: Date): Date | null {
  if (t.isenabled === false) return null;
  return cronOf(t).nextRun(after);
}

/** The last due time strictly before `before` (not before `starton`); null when there is none. */
export function latestDueBefore(t: ScheduleTiming, before: Date): Date | null {
  // croner reads the reference to the whole second and returns runs strictly before it; due times are whole seconds.
  const ref = new Date(Math.ceil(before.getTime() / SECOND_MS) * SECOND_MS);
  return cronOf(t).previousRuns(1, ref)[0] ?? null;
}

/** `nextrunon` of a schedule written at `now`: its first due time after `now`, as stored (ISO), or null. */
export function nextRunOn(t: ScheduleTiming, now: Date): string | null {
  return nextDueAfter(t, now)?.toISOString() ?? null;
}

function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `timezone '${zone.slice(0, 100)}' is not an IANA time zone (for example UTC, Europe/Berlin, America/New_York)`;
  }
}

function inputsProblem(inputs: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(inputs);
  } catch (err) {
    return `inputs is not valid JSON: ${(err as Error).message.slice(0, 200)}`;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? undefined : 'inputs must be a JSON object';
}

const cronMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '').slice(0, 300);

/**
 * What is wrong with a schedule's values (the record as it will be stored, after defaults): an invalid cron
 * expression, an unknown time zone, `endon` not after `starton`, an expression that never comes due, inputs that are
 * not a JSON object, not exactly one target (checked when the values carry the target fields, as a whole record
 * does). Empty when it may be stored. `now` judges "never": an expression with no due time after it
 * (30 February) is refused, a window already over is not.
 */
export function scheduleProblems(values: ScheduleTiming & Partial<Pick<Schedule, 'inputs' | '_machinegroupid_value' | '_machineid_value'>>, now: Date): string[] {
  const problems: string[] = [];
  if (('_machinegroupid_value' in values || '_machineid_value' in values) && !values._machinegroupid_value === !values._machineid_value) {
    problems.push('a schedule targets exactly one of _machinegroupid_value (a group) or _machineid_value (a machine)');
  }
  const zone = values.timezone ?? DEFAULT_SCHEDULE_TIMEZONE;
  const zoneProblem = timeZoneProblem(zone);
  if (zoneProblem) problems.push(zoneProblem);
  const start = values.starton ? Date.parse(values.starton) : undefined;
  const end = values.endon ? Date.parse(values.endon) : undefined;
  if (start !== undefined && end !== undefined && end <= start) problems.push(`endon (${values.endon}) must be later than starton (${values.starton})`);
  if (!values.cronexpression) {
    problems.push('cronexpression is required');
  } else if (!zoneProblem) {
    const expr = values.cronexpression;
    try {
      if (cronOf(values, false).nextRun(new Date(Math.max(now.getTime(), start ?? 0))) === null) problems.push(`cronexpression '${expr}' never comes due`);
      else if (start !== undefined && end !== undefined && end > start && cronOf(values).nextRun(new Date(start - 1)) === null) {
        problems.push(`cronexpression '${expr}' has no due time between starton and endon`);
      }
    } catch (err) {
      problems.push(`cronexpression '${expr.slice(0, 200)}' is not a valid cron expression (5 fields, or 6 with seconds first): ${cronMessage(err)}`);
    }
  }
  if (typeof values.inputs === 'string') {
    const problem = inputsProblem(values.inputs);
    if (problem) problems.push(problem);
  }
  return problems;
}

export type ScheduleValues = Partial<Omit<Schedule, 'nextrunon'>>;

/** A new schedule's values as stored: the defaults under the body's, and `nextrunon` from `now`. Validate the result with `scheduleProblems` first. */
export function scheduleCreateValues(body: ScheduleValues, now: Date): ScheduleValues & Pick<Schedule, 'nextrunon'> {
  const values = { ...SCHEDULE_DEFAULTS, ...body };
  return { ...values, nextrunon: nextRunOn(timingOf(values), now) };
}

/** A change of a stored schedule: `nextrunon` recomputed from `now` when the change sets a timing field, else kept. */
export function scheduleUpdateValues(current: ScheduleTiming, patch: ScheduleValues, now: Date): ScheduleValues & Partial<Pick<Schedule, 'nextrunon'>> {
  if (!SCHEDULE_TIMING_FIELDS.some((name) => name in patch)) return patch;
  return { ...patch, nextrunon: nextRunOn(timingOf({ ...current, ...patch }), now) };
}

const timingOf = (v: ScheduleValues): ScheduleTiming => ({
  cronexpression: v.cronexpression ?? null,
  timezone: v.timezone ?? null,
  starton: v.starton ?? null,
  endon: v.endon ?? null,
  isenabled: v.isenabled ?? null,
});
