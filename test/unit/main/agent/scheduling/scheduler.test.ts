import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import type { Static } from '@sinclair/typebox';
import { AgentState, type AgentFrame, type Assign } from '../../../../../shared/protocol.js';
import { validator } from '../../../../../shared/validate.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { Scheduler, type SchedulerHost, type SchedulerOptions } from '../../../../../main/agent/scheduling/scheduler.js';
import { waitFor } from '../../../../support/wait-for.js';

const logger = winston.createLogger({ silent: true });
let dir: string;
let store: AgentStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowhost-scheduler-'));
  store = AgentStore.open(join(dir, 'agent.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function assign(runmode: 0 | 1 | 2 = 2): Static<typeof Assign> {
  return {
    type: 'assign',
    session: { flowsessionid: randomUUID(), name: 's', workflowid: randomUUID(), runmode, priority: 0, timeout: 60, createdon: new Date().toISOString() },
    flow: { schemaversion: 1, kind: 'command', argv: ['true'] },
    inputs: '{}',
    secretInputs: [],
  };
}

/** The session host's side of the seam, recorded (the scheduler only calls it). */
function recordingHost() {
  const calls: string[] = [];
  const host: SchedulerHost = {
    start: (id) => calls.push(`start ${id}`),
    cancel: (id, reason) => calls.push(`cancel ${id} ${reason}`),
    pause: (id) => calls.push(`pause ${id}`),
    resume: (id) => calls.push(`resume ${id}`),
  };
  return { host, calls };
}

function scheduler(extra: Partial<SchedulerOptions> = {}) {
  const sent: AgentFrame[] = [];
  const { host, calls } = recordingHost();
  let changes = 0;
  const s = new Scheduler({
    store,
    host,
    send: (f) => (sent.push(f), true),
    canRunAs: () => ({ ok: true }),
    logger,
    capacity: 2,
    sessionUsers: [],
    attendedMode: false,
    onChange: () => changes++,
    ...extra,
  });
  return { s, sent, calls, changes: () => changes };
}

describe('Scheduler', () => {
  it('records an assignment and accepts it once durable (one fsync for a turn), and rejects NoFreeSlot past capacity', async () => {
    const { s, sent } = scheduler();
    const [a, b, c] = [assign(), assign(), assign()];
    s.handle(a);
    expect(store.stageOf(a.session.flowsessionid)).toBe('accepted');
    s.handle(b);
    s.handle(c);
    expect(sent).toEqual([expect.objectContaining({ type: 'reject', sessionId: c.session.flowsessionid, errorcode: 'NoFreeSlot' })]);
    await store.flushed();
    expect(sent.slice(1)).toEqual([
      { type: 'accept', sessionId: a.session.flowsessionid },
      { type: 'accept', sessionId: b.session.flowsessionid },
    ]);
    expect(store.stageOf(c.session.flowsessionid)).toBeUndefined();
    expect(s.agentState()).toMatchObject({ capacity: 2, freeSlots: 0 });
  });

  it('answers a repeated assign of a held session with accept, once recorded', async () => {
    const { s, sent } = scheduler({ capacity: 1 });
    const a = assign();
    s.handle(a);
    s.handle(a); // while its fsync runs: the one accept follows it
    await store.flushed();
    s.handle(a);
    expect(sent.map((f) => f.type)).toEqual(['accept', 'accept']);
    expect(store.activeCount()).toBe(1);
  });

  it('sends no accept for an assignment revoked while its fsync ran', async () => {
    const { s, sent } = scheduler();
    const a = assign();
    s.handle(a);
    s.handle({ type: 'revoke', sessionId: a.session.flowsessionid });
    await store.flushed();
    expect(sent).toEqual([]);
    expect(store.activeCount()).toBe(0);
  });

  it('confirm starts the session exactly once; revoke forgets an unconfirmed one', () => {
    const { s, calls } = scheduler();
    const [a, b] = [assign(), assign()];
    s.handle(a);
    s.handle(b);
    const id = a.session.flowsessionid;
    s.handle({ type: 'confirm', sessionId: id });
    s.handle({ type: 'confirm', sessionId: id });
    expect(store.stageOf(id)).toBe('confirmed');
    expect(calls).toEqual([`start ${id}`]);
    s.handle({ type: 'revoke', sessionId: b.session.flowsessionid });
    expect(store.stageOf(b.session.flowsessionid)).toBeUndefined();
    s.handle({ type: 'confirm', sessionId: b.session.flowsessionid });
    expect(calls).toEqual([`start ${id}`]);
  });

  it('cancel forgets an unconfirmed session and cancels a confirmed one on the host', () => {
    const { s, calls } = scheduler();
    const [a, b] = [assign(), assign()];
    s.handle(a);
    s.handle(b);
    s.handle({ type: 'confirm', sessionId: b.session.flowsessionid });
    s.handle({ type: 'cancel', sessionId: a.session.flowsessionid, reason: 'cancelled' });
    s.handle({ type: 'cancel', sessionId: b.session.flowsessionid, reason: 'timeout' });
    expect(store.stageOf(a.session.flowsessionid)).toBeUndefined();
    expect(calls).toEqual([`start ${b.session.flowsessionid}`, `cancel ${b.session.flowsessionid} timeout`]);
  });

  it('pause/resume with a session id go to the host; without, they pause the machine', async () => {
    const { s, sent, calls } = scheduler();
    const id = randomUUID();
    s.handle({ type: 'pause', sessionId: id });
    s.handle({ type: 'resume', sessionId: id });
    expect(calls).toEqual([`pause ${id}`, `resume ${id}`]);
    s.handle({ type: 'pause' });
    expect(s.agentState().paused).toBe(true);
    s.handle(assign());
    expect(sent.at(-1)).toMatchObject({ type: 'reject', errorcode: 'AgentPaused' });
    s.handle({ type: 'resume' });
    s.handle(assign());
    await store.flushed();
    expect(sent.at(-1)).toMatchObject({ type: 'accept' });
  });

  it('a pause with until ends by itself and reports the change', async () => {
    const { s, changes } = scheduler();
    const until = new Date(Date.now() + 100);
    s.handle({ type: 'pause', until: until.toISOString() });
    expect(s.agentState()).toMatchObject({ paused: true, pausedUntil: until.toISOString() });
    const before = changes();
    await waitFor(() => !s.agentState().paused, { what: 'pause to end', timeoutMs: 3000 });
    await waitFor(() => changes() > before, { what: 'change notification' });
    expect(s.agentState().pausedUntil).toBeUndefined();
    s.close();
  });

  it('drain refuses new work with AgentDraining', () => {
    const { s, sent } = scheduler();
    s.handle({ type: 'drain' });
    s.handle(assign());
    expect(sent).toEqual([expect.objectContaining({ type: 'reject', errorcode: 'AgentDraining' })]);
    expect(s.agentState().draining).toBe(true);
  });

  it('a failed store write rejects StorageUnavailable and reports storageOk=false until the retry time', async () => {
    // The real store, with its write failing as on a full disk.
    const failing = Object.assign(Object.create(store) as AgentStore, {
      recordAssignment: () => {
        throw new Error('database or disk is full');
      },
    });
    const { s, sent } = scheduler({ store: failing, storageRetryMs: 100 });
    const a = assign();
    s.handle(a);
    expect(sent[0]).toMatchObject({ type: 'reject', errorcode: 'StorageUnavailable', message: expect.stringContaining('disk is full') });
    expect(store.stageOf(a.session.flowsessionid)).toBeUndefined();
    expect(s.agentState().storageOk).toBe(false);
    s.handle(assign());
    expect(sent[1]).toMatchObject({ type: 'reject', errorcode: 'StorageUnavailable' });
    await waitFor(() => s.agentState().storageOk, { what: 'storage retry', timeoutMs: 3000 });
    s.close();
  });

  it('attended sessions need attended mode and the signed-in user', async () => {
    const { s, sent } = scheduler();
    s.handle(assign(1));
    expect(sent.at(-1)).toMatchObject({ type: 'reject', errorcode: 'AttendedUserNotSignedIn' });
    s.setAttendedMode(true, 'alice');
    expect(s.agentState()).toMatchObject({ attendedAvailable: true, signedInUser: 'alice' });
    s.handle(assign(1));
    await store.flushed();
    expect(sent.at(-1)).toMatchObject({ type: 'accept' });
    s.handle(assign(0));
    expect(sent.at(-1)).toMatchObject({ type: 'reject', errorcode: 'RunModeUnsupported' });
  });

  it('attended mode with no graphical session of the signed-in user: not available, attended work refused, until one appears', async () => {
    let desktop = false;
    const { s, sent } = scheduler({ attendedMode: true, signedInUser: 'alice', hasDesktop: (user) => desktop && user === 'alice' });
    expect(s.agentState()).toMatchObject({ attendedAvailable: false });
    s.handle(assign(1));
    expect(sent.at(-1)).toMatchObject({ type: 'reject', errorcode: 'AttendedUserNotSignedIn' });
    desktop = true; // alice signed in at the machine
    expect(s.agentState()).toMatchObject({ attendedAvailable: true, signedInUser: 'alice' });
    s.handle(assign(1));
    await store.flushed();
    expect(sent.at(-1)).toMatchObject({ type: 'accept' });
  });

  it('says which run modes it can serve only to an orchestrator that takes them (run-modes), and refuses unattended work it has no display for', async () => {
    let takes = false;
    const problem = 'virtualDisplay is on but Xvfb or xauth is not installed';
    const { s, sent } = scheduler({ runModes: { include: () => takes, unattendedProblem: () => problem } });
    expect(s.agentState()).not.toHaveProperty('runModes'); // an older orchestrator refuses fields it does not know
    takes = true;
    expect(s.agentState().runModes).toEqual({
      attended: { available: false, reason: 'AttendedUserNotSignedIn', message: expect.any(String) },
      unattended: { available: false, reason: 'DisplayUnavailable', message: problem },
    });
    expect(validator(AgentState).check(s.agentState())).toBe(true);
    s.handle(assign(2));
    expect(sent.at(-1)).toMatchObject({ type: 'reject', errorcode: 'DisplayUnavailable', message: problem });
  });
});

