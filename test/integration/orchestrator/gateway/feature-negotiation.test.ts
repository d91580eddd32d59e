import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { ErrorCode, QueueReason } from '../../../../shared/error-codes.js';
import { LogType } from '../../../../shared/option-sets.js';
import { AGENT_FEATURES, Feature, ORCHESTRATOR_FEATURES } from '../../../../shared/protocol-features.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { startRealAgent } from '../../../support/real-agent.js';
import { waitFor } from '../../../support/wait-for.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const nodeFlow = JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log(1)' });

async function assignFailures(sessionId: string): Promise<{ errorcode?: string; message?: string }[]> {
  return (await o.store.logs.forSession(sessionId))
    .filter((r) => LogType.labels.get(Number(r['type'])) === 'DesktopFlowRunQueueAssignFailed')
    .map((r) => JSON.parse(String(r['data'])) as { errorcode?: string; message?: string });
}

describe('feature negotiation (orchestrator side)', () => {
  it('this agent and this orchestrator agree on `events` frames (the agent warns when it falls back to single events)', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const warnings: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (warnings.push(chunk.toString()), done()) });
    const logger = winston.createLogger({ level: 'warn', transports: [new winston.transports.Stream({ stream })] });
    const real = await startRealAgent(o.url, { group: 'g1', groupPassword: 'group-password', name: 'current', logger });
    try {
      expect(warnings.filter((w) => w.includes('did not declare'))).toEqual([]);
    } finally {
      await real.dispose();
    }
  });

  it('an agent before negotiation (callback-key in its header, no features in hello) gets no `features` in welcome, every protocol-1 flow kind and its callback key', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const groupId = String((await o.group('g1'))['flowmachinegroupid']);
    const wfId = String((await o.workflow({ clientdata: nodeFlow }))['workflowid']);
    const older = await o.machine('g1', { name: 'older', features: [Feature.CallbackKey] });
    const welcome = await older.agent.hello();
    expect('features' in welcome).toBe(false);
    // The announcement rides on the upgrade response, which such an agent ignores.
    expect([...older.agent.announced]).toEqual([...ORCHESTRATOR_FEATURES]);
    expect(await older.agent.next('callback-key')).toMatchObject({ type: 'callback-key' });
    const id = await o.session(wfId, { _machinegroupid_value: groupId });
    expect(await older.agent.next('assign')).toMatchObject({ session: { flowsessionid: id }, flow: { kind: 'node' } });
  });

  it("an agent that declares features in hello gets the orchestrator's in welcome; its hello list is the one that counts", async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    // The header lists only `features`; the hello adds callback-key (and the rest).
    const newer = await o.machine('g1', { name: 'newer', features: [Feature.FeatureLists] });
    const welcome = await newer.agent.hello({ features: [...AGENT_FEATURES, 'some-future-thing'] });
    expect(welcome.features).toEqual([...ORCHESTRATOR_FEATURES]);
    expect(await newer.agent.next('callback-key')).toMatchObject({ type: 'callback-key' });
  });

  it('an offer needing a feature the agent did not declare never reaches it: rejected for it once, with the reason, and not offered there again while it stays connected', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const groupId = String((await o.group('g1'))['flowmachinegroupid']);
    const nodeWf = String((await o.workflow({ clientdata: nodeFlow }))['workflowid']);
    const commandWf = String((await o.workflow())['workflowid']);
    const m = await o.machine('g1', { name: 'no-node', capacity: 2, features: [Feature.FeatureLists, Feature.FlowCommand] });
    await m.agent.hello({ state: { capacity: 2, freeSlots: 2 } });
    const id = await o.session(nodeWf, { _machinegroupid_value: groupId });
    await waitFor(async () => (await assignFailures(id)).length === 1 && (await o.get(id))['queuereason'] === QueueReason.FeatureUnsupported, { what: 'the refusal and its queue reason' });
    expect((await assignFailures(id))[0]).toMatchObject({ errorcode: ErrorCode.FeatureUnsupported, message: expect.stringContaining('flow:node') });

    // Past the reject cooldown, a pass that offers another session to the machine leaves this one waiting.
    o.clock.advance(120_000);
    const other = await o.session(commandWf, { _machinegroupid_value: groupId });
    expect(await m.agent.next('assign')).toMatchObject({ session: { flowsessionid: other } });
    m.agent.send({ type: 'accept', sessionId: other });
    await m.agent.next('confirm');
    expect(await assignFailures(id)).toHaveLength(1);
    expect(await o.get(id)).toMatchObject({ statuscode: 3, queuereason: QueueReason.FeatureUnsupported });
    expect(m.agent.received.filter((f) => f.type === 'assign' && f.session.flowsessionid === id)).toEqual([]);

    // The agent is upgraded: its next connection declares node flows and gets the session.
    const upgraded = await o.connect(m.machineId, m.credential);
    await upgraded.hello({ features: [...AGENT_FEATURES], activeSessions: [other], state: { capacity: 2, freeSlots: 1 } });
    expect(await upgraded.next('assign')).toMatchObject({ session: { flowsessionid: id }, flow: { kind: 'node' } });
  });
});
