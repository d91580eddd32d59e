import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRegistered } from '../../main/agent/registration/registration.js';
import { API_GROUP_PASSWORD, createFixtureWorkflow, createGroup, runFlow, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { waitFor } from '../support/wait-for.js';
import { AgentProcess } from '../support/agent-process.js';
import { callbackRows } from '../support/callback-store.js';
import { CallbackReceiver } from '../support/callback-receiver.js';

/**
 * A callback pending in the agent's outbox survives kill -9 of the agent: the real agent (child process) retries a
 * receiver that answers 503, is SIGKILLed, the receiver recovers, the agent restarts on the same data dir and
 * delivers — with the same Idempotency-Key every time.
 */
describe('reliability: a pending callback across kill -9 of the agent', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('503 while the agent lives, kill -9, receiver back, restart: delivered, one key, nothing lost', async () => {
    const orch = await startApiOrchestrator();
    cleanups.push(() => orch.close());
    let up = false;
    const receiver = await CallbackReceiver.start(() => ({ status: up ? 200 : 503 }));
    cleanups.push(() => receiver.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-cb-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const groupId = await createGroup(orch, 'cb');
    const { credentials } = await ensureRegistered({
      credentialsFile: join(dataDir, 'credentials.json'),
      orchestrator: orch.url,
      group: 'cb',
      groupPassword: API_GROUP_PASSWORD,
      name: 'cb-agent',
      capacity: 1,
      agentVersion: 'cb',
    });
    const agent = new AgentProcess({ orchestratorUrl: orch.url, credentials, dataDir, capacity: 1 });
    cleanups.push(() => agent.stop());
    agent.start();
    await agent.whenConnected();
    const id = await runFlow(orch, await createFixtureWorkflow(orch, 'lines.mjs'), { machineGroupId: groupId, inputs: { lines: 3 }, callbackUrl: receiver.url('/done') });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    await waitFor(() => receiver.requests.length >= 2, { what: 'two refused callback attempts' });
    await agent.kill9();
    const beforeRestart = receiver.requests.length;
    const [pending] = callbackRows(join(dataDir, 'agent.db'));
    expect(pending).toMatchObject({ statecode: 0 });

    up = true;
    agent.start();
    await waitFor(() => receiver.requests.some((r) => r.answer.status === 200), { what: 'the callback to be delivered after the restart' });
    await waitFor(() => callbackRows(join(dataDir, 'agent.db'))[0]?.statuscode === 30, { what: 'the row to be Succeeded' });
    expect(new Set(receiver.keys())).toEqual(new Set([id]));
    const bodies = new Set(receiver.requests.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!)).toMatchObject({ flowsessionid: id, statuscode: 4 });
    console.log(`callback across kill -9: ${beforeRestart} attempts (503) before the kill, ${receiver.requests.length - beforeRestart} after the restart, delivered once (200), one Idempotency-Key`);
  }, 60_000);
});
