import { afterEach, describe, expect, it } from 'vitest';
import { nodeHmacSha256 } from '../../../../node-shared/node-hmac.js';
import { deriveCallbackKey } from '../../../../shared/callback-signature.js';
import { Feature } from '../../../../shared/protocol-features.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

/** An `accept` of a session not offered to the machine is answered `revoke`: once it arrives, every frame sent before it has too. */
async function drained(agent: Awaited<ReturnType<TestOrchestrator['machine']>>['agent']): Promise<void> {
  agent.send({ type: 'accept', sessionId: '00000000-0000-4000-8000-000000000000' });
  await agent.next('revoke');
}

describe('callback-key frames (feature callback-key)', () => {
  it('an agent that lists the feature gets its own key after welcome and again when the group secret rotates; an older agent gets neither', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const groupId = String((await o.group('g1'))['flowmachinegroupid']);
    const newer = await o.machine('g1', { name: 'newer', features: ['some-future-thing', Feature.CallbackKey] });
    const older = await o.machine('g1', { name: 'older' });
    await newer.agent.hello();
    await older.agent.hello();
    expect(await newer.agent.next('callback-key')).toEqual({ type: 'callback-key', key: deriveCallbackKey('callback-secret-0123456789', newer.machineId, nodeHmacSha256) });

    await o.store.groups.update(groupId, { callbacksecret: 'rotated-secret-0123456789' });
    await o.gateway.queue.callbackSecretRotated(groupId);
    expect(await newer.agent.next('callback-key')).toEqual({ type: 'callback-key', key: deriveCallbackKey('rotated-secret-0123456789', newer.machineId, nodeHmacSha256) });

    await drained(older.agent);
    expect(older.agent.received.map((f) => f.type)).toEqual(['welcome', 'revoke']);
  });
});
