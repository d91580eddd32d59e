import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { chooseRunAs, effectiveSessionUsers } from '../../../shared/session-user-rule.js';
import { decideAssignment, type MachineSchedule } from '../../../main/agent/scheduling/scheduler-decision.js';
import { Scheduler, type SchedulerStore } from '../../../main/agent/scheduling/scheduler.js';
import { machineBlocker, type MachineView } from '../../../orchestrator/queue/machine-eligibility.js';
import { makeAssign } from '../../support/agent-assign.js';

const now = new Date('2030-01-01T00:00:00Z');

/** The scheduler's view of an empty store: only its advertised state is read here. */
const emptyStore: SchedulerStore = {
  recordAssignment: () => undefined,
  flushed: () => Promise.resolve(),
  forgetAssignment: () => undefined,
  markConfirmed: () => undefined,
  stageOf: () => undefined,
  activeCount: () => 0,
};

interface Case {
  readonly configured: string[];
  readonly agentUser: string;
  readonly attendedMode: boolean;
  readonly signedInUser: string | null;
  readonly runmode: 1 | 2;
  readonly sessionUser: string | null;
}

/** Names that differ only by case, the agent's own user, `nobody`. */
const name = fc.constantFrom('robot', 'Robot', 'root', 'nobody', 'alice', 'Alice');
/** A session's or a signed-in user's name: also the empty name, which both sides read as none. */
const maybeName = fc.option(fc.oneof(name, fc.constant('')));
const cases: fc.Arbitrary<Case> = fc.record({
  configured: fc.uniqueArray(name, { maxLength: 3 }),
  agentUser: fc.constantFrom('root', 'robot', 'alice'),
  attendedMode: fc.boolean(),
  signedInUser: maybeName,
  runmode: fc.constantFrom(1 as const, 2 as const),
  sessionUser: maybeName,
});

/** The agent's answer to an assign of this case (the OS lets it act as anyone: only the rule is compared). */
function agentAnswer(c: Case): string {
  const schedule: MachineSchedule = {
    now,
    capacity: 1,
    occupied: 0,
    paused: false,
    draining: false,
    storageOk: true,
    attendedMode: c.attendedMode,
    ...(c.signedInUser === null ? {} : { signedInUser: c.signedInUser }),
    sessionUsers: c.configured,
    agentUser: c.agentUser,
  };
  const assign = makeAssign({ session: { runmode: c.runmode, ...(c.sessionUser === null ? {} : { sessionusername: c.sessionUser }) } });
  const d = decideAssignment(schedule, assign, () => ({ ok: true }));
  return d.accept ? 'offer' : d.errorcode;
}

/** The queue's answer for the same machine, from the state the agent advertises (the real Scheduler makes it). */
function queueAnswer(c: Case): string {
  const scheduler = new Scheduler({
    store: emptyStore,
    host: { start: () => undefined, cancel: () => undefined, pause: () => undefined, resume: () => undefined },
    send: () => true,
    canRunAs: () => ({ ok: true }),
    logger: winston.createLogger({ silent: true }),
    capacity: 1,
    sessionUsers: c.configured,
    agentUser: c.agentUser,
    attendedMode: c.attendedMode,
    ...(c.signedInUser === null ? {} : { signedInUser: c.signedInUser }),
    onChange: () => undefined,
  });
  const machine: MachineView = { id: 'm', groupId: 'g', statecode: 0, groupStatecode: 0, groupQueuingType: 1, sessioncapacity: 1, assigned: 0, live: scheduler.agentState() };
  const session = { id: randomUUID(), priority: 0, createdon: now.toISOString(), scheduledfor: null, groupId: 'g', targetMachineId: null, runmode: c.runmode, sessionusername: c.sessionUser };
  return machineBlocker(session, machine, now) ?? 'offer';
}

describe('the session-user rule: one rule for the queue and the agent', () => {
  it('the queue offers a session exactly when the agent takes it, and both name the same reason when not', () => {
    let refused = 0;
    fc.assert(
      fc.property(cases, (c) => {
        const agent = agentAnswer(c);
        expect(queueAnswer(c)).toBe(agent);
        if (agent !== 'offer') refused++;
      }),
      { numRuns: 3000, seed: 12 },
    );
    expect(refused).toBeGreaterThan(300);
  });

  it('with session users configured, a session naming none runs as the first of them, never as the agent', () => {
    expect(chooseRunAs(undefined, 2, { sessionUsers: ['nobody', 'svc'], agentUser: 'root' })).toEqual({ ok: true, user: 'nobody' });
    expect(chooseRunAs(null, 2, { sessionUsers: ['nobody'], agentUser: 'root' })).toEqual({ ok: true, user: 'nobody' });
    expect(chooseRunAs('root', 2, { sessionUsers: ['nobody'], agentUser: 'root' })).toMatchObject({ ok: false, reason: 'SessionUserUnavailable' });
    expect(chooseRunAs('root', 2, { sessionUsers: ['nobody', 'root'], agentUser: 'root' })).toEqual({ ok: true, user: 'root' });
  });

  it("none configured means the agent's own user, never 'nobody'", () => {
    expect(effectiveSessionUsers([], 'robot')).toEqual(['robot']);
    expect(chooseRunAs(undefined, 2, { sessionUsers: [], agentUser: 'robot' })).toEqual({ ok: true, user: 'robot' });
    expect(chooseRunAs('robot', 2, { sessionUsers: [], agentUser: 'robot' })).toEqual({ ok: true, user: 'robot' });
    expect(chooseRunAs('svc', 2, { sessionUsers: [], agentUser: 'robot' })).toMatchObject({ ok: false, reason: 'SessionUserUnavailable' });
    // The queue reads an older agent's empty list (its name unknown) the same way: no name runs, a named user waits.
    expect(chooseRunAs(undefined, 2, { sessionUsers: [] })).toEqual({ ok: true, user: undefined });
    expect(chooseRunAs('robot', 2, { sessionUsers: [] })).toMatchObject({ ok: false, reason: 'SessionUserUnavailable' });
  });

  it('names compare exactly: Robot is not robot', () => {
    expect(chooseRunAs('Robot', 2, { sessionUsers: ['robot'] })).toMatchObject({ ok: false, reason: 'SessionUserUnavailable' });
    expect(chooseRunAs('Alice', 1, { sessionUsers: [], attendedUser: 'alice' })).toMatchObject({ ok: false, reason: 'AttendedUserNotSignedIn' });
  });

  it('keeps the refusal message bounded however long the list', () => {
    const many = Array.from({ length: 64 }, (_, i) => `${'u'.repeat(250)}${i}`);
    const choice = chooseRunAs('x'.repeat(256), 2, { sessionUsers: many });
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.message.length).toBeLessThan(2000);
  });
});
