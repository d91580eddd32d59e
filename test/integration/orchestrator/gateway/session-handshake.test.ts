import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, type OrchestratorFrame } from '../../../../shared/protocol.js';
import { FlowLogLevel, LogType } from '../../../../shared/option-sets.js';
import { waitFor } from '../../../support/wait-for.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const logTypes = async (sessionId: string) =>
  (await o.store.logs.forSession(sessionId)).map((r) => LogType.labels.get(Number(r['type'])));

async function setup() {
  o = await startTestOrchestrator({ clock: TestClock.manual() });
  const group = await o.group('g1');
  const wf = await o.workflow({ inputschema: JSON.stringify({ type: 'object', properties: { pw: { type: 'string', 'x-secret': true }, n: { type: 'number' } } }), outputschema: '{"type":"object"}' });
  return { groupId: String(group['flowmachinegroupid']), wfId: String(wf['workflowid']) };
}

/** Machine `one` holds the offer of a new session; machine `two`, same group, is connected with a free slot. */
async function offeredToOne() {
  const { groupId, wfId } = await setup();
  const one = await o.machine('g1', { name: 'one' });
  await one.agent.hello();
  const id = await o.session(wfId, { _machinegroupid_value: groupId });
  await one.agent.next('assign');
  const two = await o.machine('g1', { name: 'two' });
  await two.agent.hello();
  return { one, two, id };
}

describe('assign → accept → confirm', () => {
  it('offers a waiting session with its flow, inputs and secret names, confirms the accept and logs each step', async () => {
    const { groupId, wfId } = await setup();
    const id = await o.session(wfId, { _machinegroupid_value: groupId, inputs: '{"pw":"s3cret","n":1}', callbackurl: 'https://example.com/cb', timeout: 60 });
    // The queue plans at the end of the turn (requests of one turn share one dispatch pass).
    await waitFor(async () => (await o.get(id))['queuereason'] === 'GroupIsEmpty', { what: 'queue reason GroupIsEmpty' });
    const { agent, machineId } = await o.machine();
    await agent.hello();
    const assign = await agent.next('assign');
    expect(assign).toMatchObject({
      session: { flowsessionid: id, workflowid: wfId, runmode: 2, priority: 0, timeout: 60, callbackurl: 'https://example.com/cb' },
      flow: { kind: 'command', argv: ['true'] },
      inputs: '{"pw":"s3cret","n":1}',
      secretInputs: ['pw'],
      outputschema: '{"type":"object"}',
    });
    expect(await o.get(id)).toMatchObject({ _machineid_value: machineId, queuereason: 'WaitingForConfirmation', statuscode: 3 });
    agent.send({ type: 'accept', sessionId: id });
    expect(await agent.next('confirm')).toEqual({ type: 'confirm', sessionId: id });
    expect(await logTypes(id)).toEqual(['DesktopFlowRunQueued', 'DesktopFlowRunQueueAssigned', 'DesktopFlowRunQueueRunConfirmed']);

    const started = new Date(o.clock.t + 500).toISOString();
    agent.event({ sessionId: id, kind: 'started', startedon: started });
    agent.event({ sessionId: id, kind: 'log', lines: [{ seq: 0, level: 100000001, stream: 'stdout', at: started, message: 'hello' }] });
    agent.event({ sessionId: id, kind: 'outputs', outputs: '{"ok":true}' });
    const last = agent.event({ sessionId: id, kind: 'completed', statuscode: 4, completedon: new Date(o.clock.t + 1500).toISOString(), machinepercentcpuusage: 12.5, machinepercentramusage: 40, machineramusage: 900, runexecutionduration: 1000 });
    await agent.acked(last);
    expect(await o.get(id)).toMatchObject({ statuscode: 4, statecode: 0, startedon: started, runwaitduration: 500, runexecutionduration: 1000, runduration: 1500, outputs: '{"ok":true}', machinepercentcpuusage: 12.5, machineramusage: 900 });
    expect(await logTypes(id)).toEqual(['DesktopFlowRunQueued', 'DesktopFlowRunQueueAssigned', 'DesktopFlowRunQueueRunConfirmed', 'CustomLog', 'DesktopFlowRunQueueRunCompleted']);
    // The agent sent stdout's wire level (100000001); the flowlog carries Dataverse's Info, the others theirs by name.
    expect((await o.store.logs.forSession(id)).map((r) => FlowLogLevel.labels.get(Number(r['level'])))).toEqual(['Info', 'Info', 'Info', 'Info', 'Info']);
    const custom = (await o.store.logs.forSession(id)).filter((r) => r.type === LogType.v.CustomLog)[0]!;
    expect(JSON.parse(String(custom['data']))).toEqual({ stream: 'stdout', message: 'hello' });
  });

  it('requeues a rejected session, logs AssignFailed and offers it to another machine', async () => {
    const { one, two, id } = await offeredToOne();
    one.agent.send({ type: 'reject', sessionId: id, errorcode: 'NoFreeSlot', message: 'busy' });
    const again = await two.agent.next('assign');
    expect(again.session.flowsessionid).toBe(id);
    expect((await o.get(id))['_machineid_value']).toBe(two.machineId);
    expect(await logTypes(id)).toEqual(['DesktopFlowRunQueued', 'DesktopFlowRunQueueAssigned', 'DesktopFlowRunQueueAssignFailed', 'DesktopFlowRunQueueAssigned']);
  });

  it('revokes an offer that gets no answer and one whose machine disconnects; a late accept is answered with revoke', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { offerTimeoutMs: 5_000 } });
    const groupId = String((await o.group('g1'))['flowmachinegroupid']);
    const wfId = String((await o.workflow())['workflowid']);
    const { agent } = await o.machine();
    await agent.hello();
    const id = await o.session(wfId, { _machinegroupid_value: groupId });
    await agent.next('assign');
    o.clock.advance(6_000);
    expect(await agent.next('revoke')).toEqual({ type: 'revoke', sessionId: id });
    agent.send({ type: 'accept', sessionId: id });
    expect(await agent.next('revoke')).toEqual({ type: 'revoke', sessionId: id });
    await expect.poll(() => o.get(id)).toMatchObject({ statuscode: 3, _machineid_value: null, queuereason: 'AllMachinesBusy' });
  });

  it('never applies frames for sessions of another machine', async () => {
    const { one, two, id } = await offeredToOne();
    two.agent.send({ type: 'accept', sessionId: id });
    expect(await two.agent.next('revoke')).toEqual({ type: 'revoke', sessionId: id });
    two.agent.send({ type: 'accept', sessionId: '00000000-0000-4000-8000-000000000000' });
    expect(await two.agent.next('revoke')).toEqual({ type: 'revoke', sessionId: '00000000-0000-4000-8000-000000000000' });
    one.agent.send({ type: 'accept', sessionId: id });
    await one.agent.next('confirm');
    two.agent.event({ sessionId: id, kind: 'started', startedon: o.clock.now().toISOString() });
    const closed = await two.agent.closed;
    expect(closed).toMatchObject({ code: CloseCode.InvalidFrame });
    expect(closed.reason).toContain('not assigned to this machine');
    expect(await o.get(id)).toMatchObject({ statuscode: 3, startedon: null });
  });
});

describe('accept tells nothing of other sessions', () => {
  it('an accept of a session offered to another machine, of a finished one and of an id that does not exist get the same answer', async () => {
    const { one, two, id } = await offeredToOne();
    const row = await o.get(id);
    const finished = await o.session(String(row['_regardingobjectid_value']), { _machinegroupid_value: row['_machinegroupid_value'], statuscode: 7, statecode: 1 });
    const unknown = '3f2b8c1e-9d4a-4e6b-8a7c-5d1e0f2a3b4c';
    const answers = [];
    for (const sessionId of [id, finished, unknown]) {
      two.agent.send({ type: 'accept', sessionId });
      await waitFor(() => two.agent.unreadTypes().length > 0, { what: `an answer to the accept of ${sessionId}` });
      const answer = await two.agent.next(two.agent.unreadTypes()[0] as OrchestratorFrame['type']);
      // The answer with the id taken out: what a probing machine could compare.
      answers.push(JSON.stringify(answer).replaceAll(sessionId, '<id>'));
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toBe(JSON.stringify({ type: 'revoke', sessionId: '<id>' }));
    // Nothing changed: the offer to `one` stands and it can still take it.
    one.agent.send({ type: 'accept', sessionId: id });
    expect(await one.agent.next('confirm')).toEqual({ type: 'confirm', sessionId: id });
  });
});

describe('events: seq, ack, replay', () => {
  it('applies each seq once, acks duplicates, replays after a reconnect and refuses a gap', async () => {
    const { groupId, wfId } = await setup();
    const { agent, machineId, credential } = await o.machine();
    await agent.hello();
    const id = await o.session(wfId, { _machinegroupid_value: groupId });
    await agent.next('assign');
    agent.send({ type: 'accept', sessionId: id });
    await agent.next('confirm');
    const line = (seq: number) => ({ seq, level: 100000001, stream: 'stdout' as const, at: o.clock.now().toISOString(), message: `line ${seq}` });
    agent.event({ seq: 1, sessionId: id, kind: 'started', startedon: o.clock.now().toISOString() });
    agent.event({ seq: 2, sessionId: id, kind: 'log', lines: [line(0)] });
    await agent.acked(2);
    await agent.close();

    // The agent did not see the ack for 2 and replays 1..3 after reconnecting.
    const again = await o.connect(machineId, credential);
    const welcome = await again.hello({ lastAckedSeq: 1, activeSessions: [id] });
    expect(welcome.appliedUpTo).toBe(2);
    expect(welcome.cancelSessions).toEqual([]);
    again.event({ seq: 1, sessionId: id, kind: 'started', startedon: o.clock.now().toISOString() });
    again.event({ seq: 2, sessionId: id, kind: 'log', lines: [line(0)] });
    again.event({ seq: 3, sessionId: id, kind: 'log', lines: [line(1)] });
    await again.acked(3);
    expect((await o.store.logs.forSession(id)).filter((r) => r.type === LogType.v.CustomLog).length).toBe(2);
    again.event({ seq: 5, sessionId: id, kind: 'log', lines: [line(3)] });
    const closed = await again.closed;
    expect(closed.code).toBe(CloseCode.InvalidFrame);
    expect(closed.reason).toContain('expected 4');
    expect((await o.store.logs.forSession(id)).filter((r) => r.type === LogType.v.CustomLog).length).toBe(2);
  });

  it('keeps everything across an orchestrator restart: applied seq, confirmed sessions; unconfirmed offers are requeued', async () => {
    const { groupId, wfId } = await setup();
    const { agent, machineId, credential } = await o.machine('g1', { capacity: 2 });
    await agent.hello({ state: { capacity: 2, freeSlots: 2 } });
    const confirmed = await o.session(wfId, { _machinegroupid_value: groupId });
    await agent.next('assign');
    agent.send({ type: 'accept', sessionId: confirmed });
    await agent.next('confirm');
    const offered = await o.session(wfId, { _machinegroupid_value: groupId });
    await agent.next('assign');
    agent.event({ sessionId: confirmed, kind: 'started', startedon: o.clock.now().toISOString() });
    await agent.acked(1);

    await o.restart();
    await agent.closed;
    expect(await o.get(offered)).toMatchObject({ statuscode: 3, _machineid_value: null });
    const again = await o.connect(machineId, credential);
    const welcome = await again.hello({ lastAckedSeq: 1, activeSessions: [confirmed, offered], state: { capacity: 2, freeSlots: 1 } });
    expect(welcome.appliedUpTo).toBe(1);
    expect(welcome.cancelSessions).toEqual([offered]);
    const reoffer = await again.next('assign');
    expect(reoffer.session.flowsessionid).toBe(offered);
    again.event({ seq: 2, sessionId: confirmed, kind: 'completed', statuscode: 4, completedon: o.clock.now().toISOString() });
    await again.acked(2);
    expect((await o.get(confirmed))['statuscode']).toBe(4);
    await waitFor(async () => (await o.get(offered))['queuereason'] === 'WaitingForConfirmation');
  });
});

describe('operator commands', () => {
  it('sends pause/resume of a running session to its owner, and machine pause/drain', async () => {
    const { groupId, wfId } = await setup();
    const { agent, machineId } = await o.machine();
    await agent.hello();
    const id = await o.session(wfId, { _machinegroupid_value: groupId });
    expect(await o.gateway.control.pauseSession(id)).toBe(false);
    await agent.next('assign');
    agent.send({ type: 'accept', sessionId: id });
    await agent.next('confirm');
    expect(await o.gateway.control.pauseSession(id)).toBe(true);
    expect(await agent.next('pause')).toEqual({ type: 'pause', sessionId: id });
    agent.event({ sessionId: id, kind: 'started', startedon: o.clock.now().toISOString() });
    const seq = agent.event({ sessionId: id, kind: 'status', statuscode: 1 });
    await agent.acked(seq);
    expect((await o.get(id))['statuscode']).toBe(1);
    await o.gateway.control.resumeSession(id);
    expect(await agent.next('resume')).toEqual({ type: 'resume', sessionId: id });
    o.gateway.control.pauseMachine(machineId, new Date(o.clock.t + 1000));
    expect(await agent.next('pause')).toEqual({ type: 'pause', until: new Date(o.clock.t + 1000).toISOString() });
    o.gateway.control.drainMachine(machineId);
    expect(await agent.next('drain')).toEqual({ type: 'drain' });
  });
});
