import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MisfirePolicy } from '../../../../shared/option-sets.js';
import { scheduleEntity } from '../../../../shared/records/index.js';
import { fireSchedule, type StartRun } from '../../../../orchestrator/schedules/schedule-fire.js';
import { ScheduleRunner, type ScheduleRunnerOptions } from '../../../../orchestrator/schedules/schedule-runner.js';
import { scheduledSessionId } from '../../../../orchestrator/schedules/scheduled-session.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { disposeAfterTest } from '../../../support/dispose-after-test.js';
import { FixtureChild } from '../../../support/fixture-child.js';
import { dueTimesOf, insertWaitingSession, ManualClock, ManualTimer, scheduleOf, seedSchedule, seedWorkflow, sessionsOf } from '../../../support/schedule-harness.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';

const T0 = '2030-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

interface Setup {
  readonly file: string;
  readonly store: SqliteStore;
  readonly clock: ManualClock;
  readonly workflowId: string;
  runner(o?: Partial<ScheduleRunnerOptions> & { store?: SqliteStore }): { runner: ScheduleRunner; timer: ManualTimer; warnings: string[] };
  open(): SqliteStore;
}

async function setup(): Promise<Setup> {
  const file = join(tempDir(), 'orchestrator.db');
  const open = () => disposeAfterTest(new SqliteStore({ file }));
  const store = open();
  const clock = new ManualClock(Date.parse(T0));
  const workflowId = await seedWorkflow(store);
  return {
    file,
    store,
    clock,
    workflowId,
    open,
    runner(o = {}) {
      const timer = new ManualTimer();
      const warnings: string[] = [];
      const logger = { info: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
      const runner = new ScheduleRunner({ store, now: clock.now, startRun: insertWaitingSession, logger, timer, ...o });
      disposeAfterTest({ close: () => runner.stop() });
      return { runner, timer, warnings };
    },
  };
}

describe('ScheduleRunner: one session per due time', () => {
  it('starts a session at each due time with schedule_id, its due time and the derived id, and arms one timer for the next', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *', inputs: '{"n":1}' });
    expect(sched.nextrunon).toBe(at(10));
    const { runner, timer } = s.runner();
    await runner.start();
    expect(await sessionsOf(s.store, sched.scheduleid)).toEqual([]);
    expect([runner.armedFor?.toISOString(), timer.delayMs]).toEqual([at(10), 10_000]);

    s.clock.set(at(10));
    timer.fire();
    await runner.wake();
    const [first] = await sessionsOf(s.store, sched.scheduleid);
    expect(first).toMatchObject({
      flowsessionid: scheduledSessionId(sched.scheduleid, new Date(at(10))),
      schedule_id: sched.scheduleid,
      scheduledfor: at(10),
      _regardingobjectid_value: s.workflowId,
      inputs: '{"n":1}',
      statuscode: 3,
    });
    expect(await scheduleOf(s.store, sched.scheduleid)).toMatchObject({ lastrunon: at(10), nextrunon: at(20) });
    expect(runner.armedFor?.toISOString()).toBe(at(20));

    // Fired 15 s late (while up): each due time still gets its session, once, however often the runner wakes.
    s.clock.set(at(35));
    timer.fire();
    await runner.wake();
    await runner.wake();
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(10), at(20), at(30)]);
    expect(runner.armedFor?.toISOString()).toBe(at(40));
    expect(timer.delayMs).toBe(5_000);
  });

  it('corrects a timer that fires early: no session, re-armed for the rest', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    const { runner, timer } = s.runner();
    await runner.start();
    s.clock.set('2030-01-01T00:00:09.750Z');
    timer.fire();
    await runner.wake();
    expect(await sessionsOf(s.store, sched.scheduleid)).toEqual([]);
    expect([runner.armedFor?.toISOString(), timer.delayMs]).toEqual([at(10), 250]);
  });

  it('arms nothing without schedules, and re-arms for an earlier schedule on wake()', async () => {
    const s = await setup();
    const { runner, timer } = s.runner();
    await runner.start();
    expect(timer.armed).toBe(false);
    await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '0 * * * *' });
    await runner.wake();
    expect(runner.armedFor?.toISOString()).toBe(at(3600));
    await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/5 * * * * *' });
    await runner.wake();
    expect([runner.armedFor?.toISOString(), timer.delayMs]).toEqual([at(5), 5_000]);
  });

  it('keeps nextrunon right across the March and October changes in Europe/Berlin', async () => {
    const s = await setup();
    s.clock.set('2030-03-30T00:00:00.000Z');
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '0 30 2 * * *', timezone: 'Europe/Berlin' });
    const { runner } = s.runner();
    await runner.start();
    const seen: (string | null)[] = [];
    for (const due of ['2030-03-30T01:30:00.000Z', '2030-03-31T01:00:00.000Z', '2030-04-01T00:30:00.000Z']) {
      expect((await scheduleOf(s.store, sched.scheduleid)).nextrunon).toBe(due);
      s.clock.set(due);
      await runner.wake();
      seen.push((await scheduleOf(s.store, sched.scheduleid)).nextrunon);
    }
    expect(seen).toEqual(['2030-03-31T01:00:00.000Z', '2030-04-01T00:30:00.000Z', '2030-04-02T00:30:00.000Z']);
    await s.store.records.update(scheduleEntity, sched.scheduleid, { nextrunon: '2030-10-27T00:30:00.000Z' });
    for (const due of ['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']) {
      s.clock.set(due);
      await runner.wake();
    }
    expect((await dueTimesOf(s.store, sched.scheduleid)).slice(3)).toEqual(['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']);
    expect((await scheduleOf(s.store, sched.scheduleid)).nextrunon).toBe('2030-10-29T01:30:00.000Z');
  });
});

describe('ScheduleRunner on the real clock and timer', () => {
  it('starts the sessions of an every-second schedule as they come due, one per second', async () => {
    const s = await setup();
    const store = s.store;
    const sched = await seedSchedule(store, new Date(), { _workflowid_value: s.workflowId, cronexpression: '* * * * * *' });
    const runner = new ScheduleRunner({ store, now: () => new Date(), startRun: insertWaitingSession, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    disposeAfterTest({ close: () => runner.stop() });
    await runner.start();
    const due = await waitFor(async () => {
      const times = await dueTimesOf(store, sched.scheduleid);
      return times.length >= 3 && times;
    }, { what: 'three scheduled sessions' });
    await runner.stop();
    const ms = due.map((t) => Date.parse(t));
    expect(ms.every((t) => t % 1000 === 0)).toBe(true);
    expect(ms.slice(1).map((t, i) => t - ms[i]!)).toEqual(ms.slice(1).map(() => 1000));
  });
});

describe('ScheduleRunner: disabled, starton, endon, failures', () => {
  it('runs nothing for a disabled schedule and clears its nextrunon', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '* * * * * *' });
    await s.store.records.update(scheduleEntity, sched.scheduleid, { isenabled: false });
    s.clock.set(at(5));
    const { runner, timer } = s.runner();
    await runner.start();
    expect(await sessionsOf(s.store, sched.scheduleid)).toEqual([]);
    expect((await scheduleOf(s.store, sched.scheduleid)).nextrunon).toBeNull();
    expect(timer.armed).toBe(false);
  });

  it('waits for starton and stops before endon (nextrunon null after the last)', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *', starton: at(20), endon: at(40) });
    expect(sched.nextrunon).toBe(at(20));
    const { runner, timer } = s.runner();
    await runner.start();
    for (const t of [10, 20, 30, 40, 50]) {
      s.clock.set(at(t));
      await runner.wake();
    }
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(20), at(30)]);
    expect(await scheduleOf(s.store, sched.scheduleid)).toMatchObject({ lastrunon: at(30), nextrunon: null });
    expect(timer.armed).toBe(false);
  });

  it('records a due time whose session could not start and goes on with the next one', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    let refuse = true;
    const startRun: StartRun = async (tx, schedule, dueAt, id) => {
      if (refuse) throw new Error('workflow is Inactive');
      await insertWaitingSession(tx, schedule, dueAt, id);
    };
    const { runner, warnings } = s.runner({ startRun });
    s.clock.set(at(10));
    await runner.start();
    expect(await scheduleOf(s.store, sched.scheduleid)).toMatchObject({
      nextrunon: at(20),
      lastrunon: null,
      errormessage: `the session due at ${at(10)} was not started: workflow is Inactive`,
    });
    expect(warnings).toHaveLength(1);
    refuse = false;
    s.clock.set(at(20));
    await runner.wake();
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(20)]);
    expect((await scheduleOf(s.store, sched.scheduleid)).errormessage).toBeNull();
  });
});

describe('ScheduleRunner: restarts and misfires', () => {
  it('starts no second session for a due time after a restart', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    s.clock.set(at(10));
    const first = s.runner();
    await first.runner.start();
    await first.runner.stop();
    const again = s.runner();
    await again.runner.start();
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(10)]);
  });

  it.each([
    { policy: 'Skip (none of the missed)', misfirepolicy: MisfirePolicy.v.Skip, expected: [at(10)] },
    { policy: 'RunOnce (one, for the latest missed)', misfirepolicy: MisfirePolicy.v.RunOnce, expected: [at(10), at(300)] },
  ])('after 5 min down, misfire policy $policy, then every due time again', async ({ misfirepolicy, expected }) => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *', misfirepolicy });
    s.clock.set(at(10));
    const before = s.runner();
    await before.runner.start();
    await before.runner.stop();
    s.store.close();

    s.clock.set(at(303)); // down from 00:00:10 to 00:05:03
    const store = s.open();
    const after = s.runner({ store });
    await after.runner.start();
    expect(await dueTimesOf(store, sched.scheduleid)).toEqual(expected);
    expect((await scheduleOf(store, sched.scheduleid)).nextrunon).toBe(at(310));
    s.clock.set(at(310));
    await after.runner.wake();
    expect(await dueTimesOf(store, sched.scheduleid)).toEqual([...expected, at(310)]);
  });

  it('treats due times more than the misfire threshold late as missed (a stalled process)', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *', misfirepolicy: MisfirePolicy.v.Skip });
    const { runner } = s.runner({ misfireThresholdMs: 30_000 });
    await runner.start();
    s.clock.set(at(95));
    await runner.wake();
    // 00:00:10 … 00:01:00 are over 30 s late: skipped; 00:01:10 … 00:01:30 run.
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(70), at(80), at(90)]);
  });
});

describe('ScheduleRunner: two instances on one database', () => {
  it('a runner whose read predates the other instance’s commit starts no second session (key conflict)', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    const other = s.open();
    const stale = await scheduleOf(other, sched.scheduleid);
    s.clock.set(at(10));
    const { runner } = s.runner();
    await runner.start();
    const after = await fireSchedule({ store: other, startRun: insertWaitingSession }, stale, s.clock.now(), new Date(T0));
    expect(after).toMatchObject({ nextrunon: at(20), lastrunon: at(10) });
    expect(await dueTimesOf(other, sched.scheduleid)).toEqual([at(10)]);
  });

  it('a schedule changed since it was read (its version) rolls the step back and runs it from the record as it is', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *', name: 'old name' });
    await s.store.records.update(scheduleEntity, sched.scheduleid, { name: 'new name' });
    s.clock.set(at(10));
    const after = await fireSchedule({ store: s.store, startRun: insertWaitingSession }, sched, s.clock.now(), new Date(T0));
    expect(after).toMatchObject({ lastrunon: at(10), name: 'new name' });
    const sessions = await sessionsOf(s.store, sched.scheduleid);
    expect(sessions.map((x) => [x.scheduledfor, x.name])).toEqual([[at(10), 'new name']]);
  });

  it('a schedule deleted since it was read starts nothing (its session rolled back)', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    await s.store.records.delete(scheduleEntity, sched.scheduleid);
    s.clock.set(at(10));
    expect(await fireSchedule({ store: s.store, startRun: insertWaitingSession }, sched, s.clock.now(), new Date(T0))).toBeUndefined();
    expect(await sessionsOf(s.store, sched.scheduleid)).toEqual([]);
  });

  it('a record restored to before a due time it ran passes over that due time instead of starting it again', async () => {
    const s = await setup();
    const sched = await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '*/10 * * * * *' });
    s.clock.set(at(10));
    const { runner } = s.runner();
    await runner.start();
    await s.store.records.update(scheduleEntity, sched.scheduleid, { nextrunon: at(10), lastrunon: null });
    await runner.wake();
    expect(await dueTimesOf(s.store, sched.scheduleid)).toEqual([at(10)]);
    expect(await scheduleOf(s.store, sched.scheduleid)).toMatchObject({ nextrunon: at(20), lastrunon: at(10) });
  });
});

describe('ScheduleRunner: two orchestrator processes racing on one SQLite file', () => {
  const CHILD = fileURLToPath(new URL('../../../fixtures/schedule-runner-child.ts', import.meta.url));

  async function runChild(arg: unknown): Promise<{ started: number; errors: string[] }> {
    const child = new FixtureChild({ script: CHILD, what: 'schedule runner' });
    const proc = child.spawn(arg);
    disposeAfterTest({ close: () => child.kill9() });
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await child.exited;
    if (!out.trim()) throw new Error(`the schedule runner printed nothing; stderr: ${err}`);
    return JSON.parse(out) as { started: number; errors: string[] };
  }

  it('each due time of each schedule gets exactly one session', async () => {
    const s = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await seedSchedule(s.store, s.clock.now(), { _workflowid_value: s.workflowId, cronexpression: '* * * * * *', name: `every second ${i}` })).scheduleid);
    const seconds = 150;
    const arg = { file: s.file, from: T0, seconds, beginAt: Date.now() + 3000 };
    const [a, b] = await Promise.all([runChild(arg), runChild(arg)]);
    const expected = Array.from({ length: seconds }, (_, i) => at(i + 1));
    for (const id of ids) expect(await dueTimesOf(s.store, id)).toEqual(expected);
    expect(a.started + b.started).toBe(3 * seconds);
    expect([...a.errors, ...b.errors]).toEqual([]);
    console.log(`sessions started by each process: ${a.started} and ${b.started}`);
  }, 60_000);
});
