import { describe, expect, it } from 'vitest';
import { startCallbackReceiver, verifyReceived } from '../support/callback-receiver.js';
import { apiOk, apiStdout, createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

describe('e2e: the main job, through the Web API', () => {
  it('RunDesktopFlow → Waiting → Running → Succeeded with outputs, logs, CPU/RAM and a signed callback', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const group = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'a1' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs', {
      outputschema: JSON.stringify({ type: 'object', properties: { greeting: { type: 'string' }, lines: { type: 'integer' } }, required: ['greeting'] }),
    });
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 5, name: 'e2e', busyMs: 1500 }, callbackUrl: receiver.url('/done') });
    const seen = new Set<number>();
    const end = await waitForSessionEnd(orch, id, 20_000, seen);
    expect(end).toMatchObject({ statuscode: 4, statecode: 0, _machineid_value: a.machineId });
    expect(seen.has(3) || seen.has(2)).toBe(true);
    expect(JSON.parse(String(end['outputs']))).toEqual({ greeting: 'hello e2e', lines: 5 });
    expect(end['startedon']).toEqual(expect.any(String));
    expect(end['completedon']).toEqual(expect.any(String));
    // The flow spun a core for 1.5 s: the figures are recorded (not null) and show it.
    expect(end['machinepercentcpuusage']).toEqual(expect.any(Number));
    expect(end['machinepercentcpuusage']).toBeGreaterThan(0);
    expect(end['machinepercentramusage']).toBeGreaterThan(0);
    expect(end['machineramusage']).toBeGreaterThan(0);
    expect(await apiStdout(orch, id)).toEqual([1, 2, 3, 4, 5].map((i) => `line ${i} of 5`));

    const [callback] = await waitFor(() => receiver.to('/done').length > 0 && receiver.to('/done'), { what: 'the callback' });
    const body = JSON.parse(callback!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ flowsessionid: id, statuscode: 4, statecode: 0, outputs: { greeting: 'hello e2e', lines: 5 } });
    expect(callback!.headers['idempotency-key']).toBe(id);
    const { callbacksecret } = await apiOk(orch, 'GET', `flowmachinegroups(${group})?$select=callbacksecret`);
    expect(verifyReceived(callback!, [String(callbacksecret)])).toMatchObject({ ok: true, signer: a.machineId });
    await waitFor(() => a.agent.state().backlog.callbacks === 0 && a.agent.state().backlog.events === 0, { what: 'outbox to empty' });
  });
});
