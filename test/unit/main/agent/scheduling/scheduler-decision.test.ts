import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Static } from '@sinclair/typebox';
import type { Assign } from '../../../../../shared/protocol.js';
import { decideAssignment, isPaused, type CanRunAs, type MachineSchedule } from '../../../../../main/agent/scheduling/scheduler-decision.js';

const now = new Date('2030-01-01T12:00:00Z');
const free: MachineSchedule = {
  now,
  capacity: 2,
  occupied: 0,
  paused: false,
  draining: false,
  storageOk: true,
  attendedMode: false,
  sessionUsers: [],
  agentUser: 'agent',
};
const anyone: CanRunAs = () => ({ ok: true });
const nobody: CanRunAs = (u) => ({ ok: false, reason: `no such user ${u}` });

function assign(runmode: 0 | 1 | 2, sessionusername?: string): Static<typeof Assign> {
  return {
    type: 'assign',
    session: {
      flowsessionid: randomUUID(),
      name: 's',
      workflowid: randomUUID(),
      runmode,
      priority: 0,
      timeout: 60,
      createdon: now.toISOString(),
      ...(sessionusername === undefined ? {} : { sessionusername }),
    },
    flow: { schemaversion: 1, kind: 'command', argv: ['true'] },
    inputs: '{}',
    secretInputs: [],
  };
}

const code = (d: ReturnType<typeof decideAssignment>) => (d.accept ? 'accept' : d.errorcode);

describe('decideAssignment', () => {
  it('accepts an unattended session on a free machine', () => {
    expect(code(decideAssignment(free, assign(2), anyone))).toBe('accept');
  });

  it('rejects NoFreeSlot when every slot is taken', () => {
    expect(code(decideAssignment({ ...free, occupied: 1 }, assign(2), anyone))).toBe('accept');
    expect(code(decideAssignment({ ...free, occupied: 2 }, assign(2), anyone))).toBe('NoFreeSlot');
  });

  it('rejects AgentPaused while paused, and accepts once the pause has ended', () => {
    expect(code(decideAssignment({ ...free, paused: true }, assign(2), anyone))).toBe('AgentPaused');
    const until = new Date(now.getTime() + 60_000);
    const d = decideAssignment({ ...free, paused: true, pausedUntil: until }, assign(2), anyone);
    expect(d).toMatchObject({ accept: false, errorcode: 'AgentPaused', message: expect.stringContaining(until.toISOString()) });
    expect(code(decideAssignment({ ...free, paused: true, pausedUntil: now }, assign(2), anyone))).toBe('accept');
  });

  it('rejects AgentDraining first, and StorageUnavailable when the store cannot take work', () => {
    expect(code(decideAssignment({ ...free, draining: true, paused: true }, assign(2), anyone))).toBe('AgentDraining');
    expect(code(decideAssignment({ ...free, storageOk: false }, assign(2), anyone))).toBe('StorageUnavailable');
  });

  it('never takes a Local session', () => {
    expect(code(decideAssignment(free, assign(0), anyone))).toBe('RunModeUnsupported');
  });

  it('attended needs attended mode on, a signed-in user, and that user when one is named', () => {
    expect(code(decideAssignment(free, assign(1), anyone))).toBe('AttendedUserNotSignedIn');
    const attended = { ...free, attendedMode: true };
    expect(code(decideAssignment(attended, assign(1), anyone))).toBe('AttendedUserNotSignedIn');
    const signedIn = { ...attended, signedInUser: 'alice' };
    expect(code(decideAssignment(signedIn, assign(1), anyone))).toBe('accept');
    expect(code(decideAssignment(signedIn, assign(1, 'alice'), anyone))).toBe('accept');
    expect(code(decideAssignment(signedIn, assign(1, 'bob'), anyone))).toBe('AttendedUserNotSignedIn');
  });

  it('unattended with a named user needs a configured user the agent can act as', () => {
    const configured = { ...free, sessionUsers: ['svc', 'robot'] };
    expect(code(decideAssignment(configured, assign(2, 'svc'), anyone))).toBe('accept');
    const d = decideAssignment(configured, assign(2, 'svc'), nobody);
    expect(d).toMatchObject({ accept: false, errorcode: 'SessionUserUnavailable', message: expect.stringContaining('no such user svc') });
    expect(code(decideAssignment(configured, assign(2, 'robot'), anyone))).toBe('accept');
    expect(code(decideAssignment(configured, assign(2, 'other'), anyone))).toBe('SessionUserUnavailable');
  });

  it("with no session user configured, only the agent's own user: a session naming another is refused, even one the OS would allow", () => {
    expect(code(decideAssignment(free, assign(2), anyone))).toBe('accept');
    expect(code(decideAssignment(free, assign(2, 'agent'), anyone))).toBe('accept');
    expect(decideAssignment(free, assign(2, 'svc'), anyone)).toMatchObject({ accept: false, errorcode: 'SessionUserUnavailable', message: expect.stringContaining('svc is not a session user') });
  });

  it('a session naming no user runs as the first configured user: refused when the agent cannot act as it', () => {
    const configured = { ...free, sessionUsers: ['nobody', 'svc'] };
    const asked: string[] = [];
    expect(code(decideAssignment(configured, assign(2), (u) => (asked.push(u), { ok: true })))).toBe('accept');
    expect(asked).toEqual(['nobody']);
    expect(decideAssignment(configured, assign(2), nobody)).toMatchObject({ accept: false, errorcode: 'SessionUserUnavailable', message: expect.stringContaining('cannot run as nobody') });
  });

  it('user names compare exactly: Robot is not robot', () => {
    expect(code(decideAssignment({ ...free, sessionUsers: ['robot'] }, assign(2, 'Robot'), anyone))).toBe('SessionUserUnavailable');
    expect(code(decideAssignment({ ...free, attendedMode: true, signedInUser: 'alice' }, assign(1, 'Alice'), anyone))).toBe('AttendedUserNotSignedIn');
  });

  it('isPaused honours until', () => {
    expect(isPaused({ paused: false, now })).toBe(false);
    expect(isPaused({ paused: true, now })).toBe(true);
    expect(isPaused({ paused: true, now, pausedUntil: new Date(now.getTime() + 1) })).toBe(true);
    expect(isPaused({ paused: true, now, pausedUntil: new Date(now.getTime() - 1) })).toBe(false);
  });
});
