import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_WORKFLOWS_PATH, CloseCode } from '../../../../shared/protocol.js';
import { LogType } from '../../../../shared/option-sets.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import type { FakeAgent } from '../../../support/fake-agent.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const logs = (sessionId: string) => o.store.logs.forSession(sessionId);
const logTypes = async (sessionId: string) => (await logs(sessionId)).map((r) => LogType.labels.get(Number(r['type'])));

async function setup() {
  o = await startTestOrchestrator({ clock: TestClock.manual() });
  const group = await o.group('g1');
  const wf = await o.workflow();
  return { groupId: String(group['flowmachinegroupid']), wfId: String(wf['workflowid']) };
}

/** Queues a session, has `agent` accept it and waits for the confirm. */
async function confirmed(agent: FakeAgent, wfId: string, groupId: string): Promise<string> {
  const id = await o.session(wfId, { _machinegroupid_value: groupId });
  await agent.next('assign');
  agent.send({ type: 'accept', sessionId: id });
  await agent.next('confirm');
  return id;
}

describe('local-session events (Local runs reported in seq order)', () => {
  it('create the session (runmode 0, triggertype 2) confirmed to the machine, once, and its events apply', async () => {
    const { wfId, groupId } = await setup();
    const { agent, machineId } = await o.machine();
    await agent.hello({ lastSeq: 0 });
    const id = randomUUID();
    const createdon = new Date(o.clock.t - 60_000).toISOString();
    const first = agent.event({ sessionId: id, kind: 'local-session', name: 'nightly', createdon, inputs: '{"n":1}', workflowid: wfId });
    agent.event({ sessionId: id, kind: 'started', startedon: new Date(o.clock.t - 59_000).toISOString() });
    const last = agent.event({ sessionId: id, kind: 'completed', statuscode: 4, completedon: new Date(o.clock.t - 58_000).toISOString() });
    await agent.acked(last);
    expect(await o.get(id)).toMatchObject({
      name: 'nightly',
      runmode: 0,
      triggertype: 2,
      statuscode: 4,
      _machineid_value: machineId,
      _machinegroupid_value: groupId,
      _regardingobjectid_value: wfId,
      inputs: '{"n":1}',
      createdon,
      runwaitduration: 1000,
      runduration: 2000,
    });
    expect(await logTypes(id)).toEqual(['DesktopFlowRunQueueRunConfirmed', 'DesktopFlowRunQueueRunCompleted']);
    expect(first).toBe(1);
    await agent.close();
  });

  it('replayed after a reconnect, a local-session event is a duplicate: acked, not applied twice', async () => {
    await setup();
    const m = await o.machine();
    await m.agent.hello({ lastSeq: 0 });
    const id = randomUUID();
    const seq = m.agent.event({ sessionId: id, kind: 'local-session', name: 'l', createdon: new Date(o.clock.t).toISOString() });
    await m.agent.acked(seq);
    await m.agent.close();
    const agent = await o.connect(m.machineId, m.credential);
    const welcome = await agent.hello({ lastSeq: 1, activeSessions: [id] });
    expect(welcome.appliedUpTo).toBe(1);
    expect(welcome.cancelSessions).toEqual([]);
    agent.event({ sessionId: id, kind: 'local-session', name: 'l', createdon: new Date(o.clock.t).toISOString(), seq: 1 });
    await agent.acked(1);
    expect(await logTypes(id)).toEqual(['DesktopFlowRunQueueRunConfirmed']);
    await agent.close();
  });

  it('a workflowid this orchestrator does not know leaves the session without a workflow', async () => {
    await setup();
    const { agent } = await o.machine();
    await agent.hello();
    const id = randomUUID();
    await agent.acked(agent.event({ sessionId: id, kind: 'local-session', name: 'file flow', createdon: new Date(o.clock.t).toISOString(), workflowid: randomUUID() }));
    expect((await o.get(id))['_regardingobjectid_value']).toBeNull();
  });

  it("the id of another machine's session closes the connection (4000) unapplied", async () => {
    const { wfId, groupId } = await setup();
    const one = await o.machine('g1', { name: 'one' });
    await one.agent.hello();
    const id = await confirmed(one.agent, wfId, groupId);
    const two = await o.machine('g1', { name: 'two' });
    await two.agent.hello();
    two.agent.event({ sessionId: id, kind: 'local-session', name: 'steal', createdon: new Date(o.clock.t).toISOString() });
    expect((await two.agent.closed).code).toBe(CloseCode.InvalidFrame);
    expect(await o.get(id)).toMatchObject({ _machineid_value: one.machineId, runmode: 2 });
  });
});

/** A machine whose session was confirmed and reported started (seq 1, acked), then disconnected. */
async function startedThenGone() {
  const { wfId, groupId } = await setup();
  const m = await o.machine();
  await m.agent.hello({ lastSeq: 0 });
  const id = await confirmed(m.agent, wfId, groupId);
  await m.agent.acked(m.agent.event({ sessionId: id, kind: 'started', startedon: new Date(o.clock.t).toISOString() }));
  await m.agent.close();
  return { wfId, groupId, m, id };
}

describe('sessions an agent lost', () => {
  it('a confirmed session the reconnected agent no longer holds is Aborted (AgentLostSession) once its outbox is applied', async () => {
    const { wfId, groupId, m, id } = await startedThenGone();
    // The agent comes back with an empty store (fresh agent.db under the same credential).
    const agent = await o.connect(m.machineId, m.credential);
    const welcome = await agent.hello({ lastSeq: 0, activeSessions: [] });
    expect(welcome.appliedUpTo).toBe(1);
    await expect.poll(() => o.get(id)).toMatchObject({ statuscode: 11, statecode: 0, errorcode: 'AgentLostSession' });
    const lostLine = (await logs(id)).find((r) => r['name'] === 'AgentLostSession');
    expect(JSON.parse(String(lostLine?.['data']))).toMatchObject({ stream: 'agent', message: expect.stringContaining('reconnected without this session') });
    expect((await logTypes(id)).at(-1)).toBe('DesktopFlowRunQueueRunCompleted');
    // The freed slot takes new work.
    const next = await o.session(wfId, { _machinegroupid_value: groupId });
    expect((await agent.next('assign')).session.flowsessionid).toBe(next);
    await agent.close();
  });

  it('no false abort while the replay runs: a completed event still in the outbox ends the session normally', async () => {
    const { m, id } = await startedThenGone();
    // Offline, the session ended: its log and completed events (seq 2, 3) wait in the outbox; the agent no longer holds it.
    const agent = await o.connect(m.machineId, m.credential);
    await agent.hello({ lastSeq: 3, lastAckedSeq: 1, activeSessions: [] });
    expect((await o.get(id))['statuscode']).toBe(2);
    await agent.acked(agent.event({ sessionId: id, kind: 'log', lines: [{ seq: 0, level: 100000001, stream: 'stdout', at: new Date(o.clock.t).toISOString(), message: 'x' }] }));
    expect((await o.get(id))['statuscode']).toBe(2);
    await agent.acked(agent.event({ sessionId: id, kind: 'completed', statuscode: 4, completedon: new Date(o.clock.t + 1000).toISOString() }));
    expect(await o.get(id)).toMatchObject({ statuscode: 4, errorcode: null });
    expect((await logs(id)).some((r) => r['name'] === 'AgentLostSession')).toBe(false);
    await agent.close();
  });

  it('a session the agent still lists, or an agent that does not send lastSeq, is left alone', async () => {
    const { wfId, groupId } = await setup();
    const m = await o.machine('g1', { capacity: 2 });
    await m.agent.hello({ lastSeq: 0, state: { capacity: 2, freeSlots: 2 } });
    const held = await confirmed(m.agent, wfId, groupId);
    const other = await confirmed(m.agent, wfId, groupId);
    await m.agent.close();
    const a2 = await o.connect(m.machineId, m.credential);
    await a2.hello({ lastSeq: 0, activeSessions: [held], state: { capacity: 2, freeSlots: 1 } });
    expect((await o.get(held))['statuscode']).toBe(3);
    await expect.poll(() => o.get(other)).toMatchObject({ statuscode: 11, errorcode: 'AgentLostSession' });
    await a2.close();
    const a3 = await o.connect(m.machineId, m.credential);
    await a3.hello({ activeSessions: [] }); // no lastSeq: not judged
    expect((await o.get(held))['statuscode']).toBe(3);
    await a3.close();
  });
});

describe(`GET ${AGENT_WORKFLOWS_PATH}/<id>`, () => {
  it('serves a workflow to an authenticated machine; 401 without a credential, 404 for an unknown id, 400 for a bad one', async () => {
    await setup();
    const wf = await o.workflow({ name: 'by id', inputschema: '{"type":"object"}', outputschema: '{"type":"object","required":["x"]}' });
    const id = String(wf['workflowid']);
    const { agent, machineId, credential } = await o.machine();
    await agent.close();
    const get = (path: string, auth?: string) => fetch(`${o.url}${AGENT_WORKFLOWS_PATH}/${path}`, { headers: auth ? { authorization: auth } : {} });
    const ok = await get(id, `Bearer ${machineId}.${credential}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ workflowid: id, name: 'by id', clientdata: String(wf['clientdata']), inputschema: '{"type":"object"}', outputschema: '{"type":"object","required":["x"]}' });
    expect((await get(id)).status).toBe(401);
    expect((await get(id, `Bearer ${machineId}.${'x'.repeat(43)}`)).status).toBe(401);
    const missing = await get(randomUUID(), `Bearer ${machineId}.${credential}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    expect((await get('not-a-guid', `Bearer ${machineId}.${credential}`)).status).toBe(400);
  });
});
