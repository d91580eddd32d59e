import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_REGISTER_PATH, CloseCode, MAX_FRAME_BYTES } from '../../../../shared/protocol.js';
import { deriveCallbackKey } from '../../../../shared/callback-signature.js';
import { nodeHmacSha256 } from '../../../../node-shared/node-hmac.js';
import { agentState, FakeAgent, refusedUpgradeStatus, registerMachine } from '../../../support/fake-agent.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { waitFor } from '../../../support/wait-for.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${o.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /agent/v1/register', () => {
  it('creates an offline machine and answers its credential and its own callback key (derived, never the group secret)', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const group = await o.group('g1');
    const reg = await registerMachine(o.url, { group: 'G1', password: 'group-password', name: 'box', capacity: 3, os: 'linux', agentVersion: '1.2.3' });
    expect(reg.flowmachinegroupid).toBe(group['flowmachinegroupid']);
    expect(reg.callbackSecret).toBe(deriveCallbackKey('callback-secret-0123456789', reg.flowmachineid, nodeHmacSha256));
    expect(reg.callbackSecret).not.toContain('callback-secret-0123456789');
    const m = (await o.store.machines.get(reg.flowmachineid))!;
    expect(m).toMatchObject({ name: 'box', sessioncapacity: 3, statecode: 0, statuscode: 2, connected: false, os: 'linux', agentversion: '1.2.3' });
    expect(m['credentialhash']).not.toContain(reg.credential);
  });

  it('answers one generic 401 for an unknown group and a wrong password; past the free failures the 401s are slowed, and the right password still succeeds', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { maxAuthFailuresPerMinute: 3, authFailureDelay: { firstMs: 20, maxMs: 40 } } });
    await o.group('g1');
    const wrong = await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'nope', name: 'x' });
    const unknown = await post(AGENT_REGISTER_PATH, { group: 'nope', password: 'nope', name: 'x' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'nope', name: 'x' });
    await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'nope', name: 'x' });
    const slowed = await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'nope', name: 'x' });
    expect(slowed.status).toBe(401);
    expect(((await slowed.json()) as { error: { message: string } }).error.message).toMatch(/answered after 20 ms: 4 failures for this group from your address/);
    expect((await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'group-password', name: 'x' })).status).toBe(200);
    o.clock.advance(61_000);
    const fresh = await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'nope', name: 'x' });
    expect(((await fresh.json()) as { error: { message: string } }).error.message).toBe('unknown group or wrong password');
  });

  it('files the new machine in the queue at once: a waiting session of its group waits for it to connect', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const group = await o.group('g1');
    const id = await o.session(String((await o.workflow())['workflowid']), { _machinegroupid_value: group['flowmachinegroupid'] });
    const reason = async () => (await o.get(id))['queuereason'];
    await waitFor(async () => (await reason()) === 'GroupIsEmpty', { what: 'the empty group as the reason' });
    await registerMachine(o.url, { group: 'g1', password: 'group-password', name: 'box' });
    await waitFor(async () => (await reason()) === 'NoMachineConnected', { what: 'the registered machine as the reason' });
  });

  it('refuses invalid and oversize bodies', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const invalid = await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'group-password', name: 'x', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain("unknown property 'extra'");
    expect((await post(AGENT_REGISTER_PATH, '{"group":')).status).toBe(400);
    expect((await post(AGENT_REGISTER_PATH, { group: 'g1', password: 'x'.repeat(100_000), name: 'x' })).status).toBe(413);
  });
});

describe('WebSocket /agent/v1 authentication', () => {
  it('gives no socket without a valid credential of an existing, active machine', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { maxAuthFailuresPerMinute: 100 } });
    await o.group('g1');
    const a = await registerMachine(o.url, { group: 'g1', password: 'group-password', name: 'a' });
    const b = await registerMachine(o.url, { group: 'g1', password: 'group-password', name: 'b' });
    expect(await refusedUpgradeStatus(o.url)).toBe(401);
    expect(await refusedUpgradeStatus(o.url, `Bearer ${a.flowmachineid}.${'x'.repeat(43)}`)).toBe(401);
    expect(await refusedUpgradeStatus(o.url, `Bearer ${b.flowmachineid}.${a.credential}`)).toBe(401);
    expect(await refusedUpgradeStatus(o.url, `Basic ${a.credential}`)).toBe(401);
    await o.store.machines.update(a.flowmachineid, { statecode: 1 });
    expect(await refusedUpgradeStatus(o.url, `Bearer ${a.flowmachineid}.${a.credential}`)).toBe(401);
    await o.store.machines.delete(b.flowmachineid);
    expect(await refusedUpgradeStatus(o.url, `Bearer ${b.flowmachineid}.${b.credential}`)).toBe(401);
  });

  it('closes a machine that is deleted while connected (4005)', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const { agent, machineId } = await o.machine();
    await agent.hello();
    await o.store.machines.delete(machineId);
    await o.gateway.queue.machineChanged(machineId);
    expect((await agent.closed).code).toBe(CloseCode.Revoked);
  });
});

describe('WebSocket /agent/v1 framing', () => {
  it('answers hello with welcome and marks the machine Active', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { heartbeatIntervalMs: 5000 } });
    await o.group('g1');
    const { agent, machineId } = await o.machine();
    const welcome = await agent.hello({ state: { draining: false } });
    expect(welcome).toMatchObject({ protocol: 1, flowmachineid: machineId, appliedUpTo: 0, heartbeatIntervalMs: 5000, cancelSessions: [] });
    await expect.poll(() => o.store.machines.get(machineId)).toMatchObject({ connected: true, statuscode: 1, lastheartbeatdate: o.clock.now().toISOString() });
    agent.state({ draining: true });
    await waitMachine(machineId, (m) => m['statuscode'] === 5);
    await agent.close();
    await waitMachine(machineId, (m) => m['statuscode'] === 2 && m['connected'] === false);
  });

  it('closes 4004 when no hello comes in time', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { helloTimeoutMs: 150 } });
    await o.group('g1');
    const { agent } = await o.machine();
    expect(await agent.closed).toMatchObject({ code: CloseCode.HelloTimeout });
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['an unknown type', JSON.stringify({ type: 'launch' }), /unknown frame type "launch"/],
    ['a hello with an unknown field', JSON.stringify({ type: 'hello', extra: 1 }), /invalid hello frame/],
    ['another frame before hello', JSON.stringify({ type: 'state', state: agentState() }), /expected hello first/],
  ])('closes 4000 on %s', async (_what, text, reason) => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const { agent } = await o.machine();
    agent.sendRaw(text);
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCode.InvalidFrame);
    expect(closed.reason).toMatch(reason);
  });

  it('closes 4000 on a binary frame, 1009 on an oversize frame, 4002 on another protocol version', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const one = (await o.machine()).agent;
    one.sendRaw(Buffer.from([1, 2, 3]));
    expect((await one.closed).code).toBe(CloseCode.InvalidFrame);
    const two = (await o.machine()).agent;
    two.sendRaw('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await two.closed).code).toBe(CloseCode.TooBig);
    const three = (await o.machine()).agent;
    three.send({ type: 'hello', protocol: 99, agentVersion: 'x', os: 'x', lastAckedSeq: 0, state: agentState(), activeSessions: [] });
    const closed = await three.closed;
    expect(closed.code).toBe(CloseCode.UnsupportedVersion);
    expect(closed.reason).toContain('protocol 99');
  });

  it('replaces an older connection of the same machine (4003) and stays online', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const { agent, machineId, credential } = await o.machine();
    await agent.hello();
    const second = await FakeAgent.connect({ baseUrl: o.url, machineId, credential });
    expect((await agent.closed).code).toBe(CloseCode.Replaced);
    await second.hello();
    expect(await o.store.machines.get(machineId)).toMatchObject({ connected: true, statuscode: 1 });
    await second.close();
  });

  it('drops a peer that does not answer pings', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { heartbeatIntervalMs: 50 } });
    await o.group('g1');
    const { agent, machineId } = await o.machine('g1', { autoPong: false });
    await agent.hello();
    expect((await agent.closed).code).toBe(1006);
    await waitMachine(machineId, (m) => m['connected'] === false);
  });
});

async function waitMachine(id: string, ok: (m: Record<string, unknown>) => boolean): Promise<void> {
  const { waitFor } = await import('../../../support/wait-for.js');
  await waitFor(async () => ok((await o.store.machines.get(id))!), { what: `machine ${id} state` });
}
