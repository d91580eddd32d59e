import { afterEach, describe, expect, it } from 'vitest';
import type { FakeAgent } from '../../../support/fake-agent.js';
import { waitFor } from '../../../support/wait-for.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

let groupId: string;
let wfId: string;
async function setup(queuing = 1, options = {}) {
  o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: options });
  groupId = String((await o.group('g1', { queuing }))['flowmachinegroupid']);
  wfId = String((await o.workflow())['workflowid']);
}

/** Enqueues sessions one second apart (createdon order). */
async function enqueue(...values: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const v of values) {
    o.clock.advance(1000);
    ids.push(await o.session(wfId, { _machinegroupid_value: groupId, ...v }));
  }
  return ids;
}

const reason = async (id: string, expected: string) => {
  let last: unknown;
  await waitFor(async () => (last = (await o.get(id))['queuereason']) === expected, { what: `${id} queuereason ${expected} (is ${String(last)})` });
};

/** Accepts the next assign, runs it to Succeeded; returns its session id. */
async function runNext(agent: FakeAgent): Promise<string> {
  const { session } = await agent.next('assign');
  agent.send({ type: 'accept', sessionId: session.flowsessionid });
  await agent.next('confirm');
  const seq = agent.event({ sessionId: session.flowsessionid, kind: 'completed', statuscode: 4, completedon: o.clock.now().toISOString() });
  await agent.acked(seq);
  return session.flowsessionid;
}

describe('order', () => {
  it('runs higher priority first, then FIFO', async () => {
    await setup(1);
    const [low1, high, low2] = await enqueue({ priority: 0 }, { priority: 100 }, { priority: 0 });
    const { agent } = await o.machine();
    await agent.hello();
    expect([await runNext(agent), await runNext(agent), await runNext(agent)]).toEqual([high, low1, low2]);
  });

  it('ignores priority in a FIFO group', async () => {
    await setup(0);
    const [low1, high, low2] = await enqueue({ priority: 0 }, { priority: 100 }, { priority: 0 });
    const { agent } = await o.machine();
    await agent.hello();
    expect([await runNext(agent), await runNext(agent), await runNext(agent)]).toEqual([low1, high, low2]);
  });

  it('holds a scheduled session until its time', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello();
    const [later] = await enqueue({ scheduledfor: new Date(o.clock.t + 60_000).toISOString() });
    await reason(later!, 'Scheduled');
    o.clock.advance(61_000);
    expect((await agent.next('assign')).session.flowsessionid).toBe(later);
  });
});

describe('machine eligibility', () => {
  it('sends a machine-targeted session only to that machine, and counts capacity', async () => {
    await setup();
    const one = await o.machine('g1', { name: 'one', capacity: 2 });
    await one.agent.hello({ state: { capacity: 2, freeSlots: 2 } });
    const two = await o.machine('g1', { name: 'two' });
    const [targeted] = await enqueue({ _machineid_value: two.machineId });
    await reason(targeted!, 'NoMachineConnected');
    await two.agent.hello();
    expect((await two.agent.next('assign')).session.flowsessionid).toBe(targeted);
    const [a, b, c] = await enqueue({}, {}, {});
    const offered = [(await one.agent.next('assign')).session.flowsessionid, (await one.agent.next('assign')).session.flowsessionid];
    expect(offered).toEqual([a, b]);
    await reason(c!, 'AllMachinesBusy');
    one.agent.send({ type: 'accept', sessionId: a! });
    await one.agent.next('confirm');
    one.agent.event({ sessionId: a!, kind: 'completed', statuscode: 4, completedon: o.clock.now().toISOString() });
    expect((await one.agent.next('assign')).session.flowsessionid).toBe(c);
  });

  it('skips machines in maintenance, paused or draining, and says so', async () => {
    await setup();
    const { agent, machineId } = await o.machine();
    await agent.hello({ state: { paused: true } });
    const [id] = await enqueue({});
    await reason(id!, 'MachinesPausedOrDraining');
    agent.state({ draining: true });
    await waitFor(async () => (await o.store.machines.get(machineId))!['statuscode'] === 5);
    await o.store.machines.update(machineId, { statecode: 2 });
    await o.gateway.queue.machineChanged(machineId);
    expect((await o.store.machines.get(machineId))!['statuscode']).toBe(5); // DrainMode belongs to Maintenance (as in Dataverse)
    agent.state({});
    await waitFor(async () => (await o.store.machines.get(machineId))!['statuscode'] === 4);
    await reason(id!, 'MachineInMaintenance');
    await o.store.machines.update(machineId, { statecode: 0 });
    await o.gateway.queue.machineChanged(machineId);
    expect((await agent.next('assign')).session.flowsessionid).toBe(id);
  });

  it('treats a pause whose pausedUntil passed as over, and a group in maintenance as closed', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello({ state: { paused: true, pausedUntil: new Date(o.clock.t + 30_000).toISOString() } });
    await o.store.groups.update(groupId, { statecode: 2 });
    const [id] = await enqueue({});
    await reason(id!, 'MachineInMaintenance');
    await o.store.groups.update(groupId, { statecode: 0 });
    await o.gateway.queue.machineChanged(groupId);
    await reason(id!, 'MachinesPausedOrDraining');
    o.clock.advance(31_000);
    expect((await agent.next('assign')).session.flowsessionid).toBe(id);
  });

  it('gives attended sessions only to a machine with attended mode on and the session user signed in', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello({ state: { attendedAvailable: false } });
    const [id] = await enqueue({ runmode: 1, sessionusername: 'alice' });
    await reason(id!, 'AttendedUserNotSignedIn');
    agent.state({ attendedAvailable: true, signedInUser: 'bob' });
    const machineId = agent.machineId;
    await waitFor(async () => (await o.store.machines.get(machineId))!['signedinuser'] === 'bob');
    expect((await o.get(id!))['queuereason']).toBe('AttendedUserNotSignedIn');
    expect(agent.received.some((f) => f.type === 'assign')).toBe(false);
    agent.state({ attendedAvailable: true, signedInUser: 'alice' });
    expect((await agent.next('assign')).session.flowsessionid).toBe(id);
  });

  it('gives unattended sessions that name a user only to a machine that can run as that user', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello({ state: { sessionUsers: ['bob'] } });
    const [id] = await enqueue({ sessionusername: 'carol' });
    await reason(id!, 'SessionUserUnavailable');
    agent.state({ sessionUsers: ['bob', 'carol'] });
    expect((await agent.next('assign')).session.flowsessionid).toBe(id);
  });

  it('never dispatches Local sessions', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello();
    const [local, remote] = await enqueue({ runmode: 0 }, {});
    expect((await agent.next('assign')).session.flowsessionid).toBe(remote);
    expect((await o.get(local!))['_machineid_value']).toBeNull();
  });
});

describe('timeouts and cancel', () => {
  it('fails a session nobody took within its queue timeout with NoCandidateMachine', async () => {
    await setup();
    const [id] = await enqueue({ queuetimeout: 60 });
    o.clock.advance(61_000);
    await waitFor(async () => (await o.get(id!))['statuscode'] === 8);
    expect(await o.get(id!)).toMatchObject({ errorcode: 'NoCandidateMachine', statecode: 0, queuereason: null });
  });

  it('cancels a run at its timeout on the agent, and marks it TimedOut itself when the agent is gone', async () => {
    await setup(1, { runTimeoutGraceMs: 10_000 });
    const { agent } = await o.machine();
    await agent.hello();
    const [id] = await enqueue({ timeout: 30 });
    await agent.next('assign');
    agent.send({ type: 'accept', sessionId: id! });
    await agent.next('confirm');
    agent.event({ sessionId: id!, kind: 'started', startedon: o.clock.now().toISOString() });
    await agent.acked(1);
    o.clock.advance(31_000);
    expect(await agent.next('cancel')).toEqual({ type: 'cancel', sessionId: id, reason: 'timeout' });
    await agent.close();
    o.clock.advance(11_000);
    await waitFor(async () => (await o.get(id!))['statuscode'] === 10);
    expect((await o.get(id!))['errorcode']).toBe('RunTimeout');
  });

  it('cancels a waiting session at once and a running one through its agent, also after a reconnect', async () => {
    await setup();
    const [waiting] = await enqueue({});
    expect(await o.gateway.queue.cancel(waiting!)).toMatchObject({ statuscode: 7, statecode: 0 });
    const { agent, machineId, credential } = await o.machine('g1', { capacity: 2 });
    await agent.hello({ state: { capacity: 2, freeSlots: 2 } });
    const [running, away] = await enqueue({}, {});
    for (const id of [running, away]) {
      await agent.next('assign');
      agent.send({ type: 'accept', sessionId: id! });
      await agent.next('confirm');
    }
    expect((await o.gateway.queue.cancel(running!))['statuscode']).toBe(3);
    expect(await agent.next('cancel')).toEqual({ type: 'cancel', sessionId: running, reason: 'cancelled' });
    const seq = agent.event({ sessionId: running!, kind: 'completed', statuscode: 7, completedon: o.clock.now().toISOString() });
    await agent.acked(seq);
    expect((await o.get(running!))['statuscode']).toBe(7);
    await agent.close();
    await o.gateway.queue.cancel(away!);
    const again = await o.connect(machineId, credential);
    expect((await again.hello({ activeSessions: [away!], lastAckedSeq: seq })).cancelSessions).toEqual([away]);
    // A terminal session never changes again.
    again.event({ sessionId: running!, kind: 'status', statuscode: 2 });
    await again.acked(seq + 1);
    expect((await o.get(running!))['statuscode']).toBe(7);
  });
});
