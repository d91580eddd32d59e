import { describe, expect, it } from 'vitest';
import { startCallbackReceiver, verifyReceived } from '../support/callback-receiver.js';
import { alive } from './e2e-harness.js';
import { apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from './api-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

describe('e2e through the Web API', () => {
  it('the main job: RunDesktopFlow → Waiting → Running → Succeeded with outputs, logs, CPU/RAM and a signed callback', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const group = await createGroup(orch, 'api-g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'api-g1', name: 'api-a1' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs', {
      outputschema: JSON.stringify({ type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] }),
    });
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 4, name: 'api', busyMs: 1500 }, callbackUrl: receiver.url('/main') });
    const seen = new Set<number>();
    const end = await waitForSessionEnd(orch, id, 20_000, seen);
    expect(end).toMatchObject({ statuscode: 4, statecode: 0, _machineid_value: a.machineId });
    expect(seen.has(3) || seen.has(2)).toBe(true);
    expect(JSON.parse(String(end['outputs']))).toEqual({ greeting: 'hello api', lines: 4 });
    expect(Number(end['machinepercentramusage'])).toBeGreaterThan(0);
    expect(Number(end['machineramusage'])).toBeGreaterThan(0);
    expect(end['machinepercentcpuusage']).not.toBeNull();
    expect(await apiStdout(orch, id)).toEqual([1, 2, 3, 4].map((i) => `line ${i} of 4`));
    const [cb] = await waitFor(() => receiver.to('/main').length > 0 && receiver.to('/main'), { what: 'the callback' });
    expect(JSON.parse(cb!.body)).toMatchObject({ flowsessionid: id, statuscode: 4, outputs: { greeting: 'hello api', lines: 4 } });
    expect(cb!.headers['idempotency-key']).toBe(id);
    const groupRow = (await orch.api('GET', `flowmachinegroups(${group})?$select=callbacksecret`)).json as { callbacksecret: string };
    expect(verifyReceived(cb!, [groupRow.callbacksecret])).toMatchObject({ ok: true, signer: a.machineId });
  });

  it('reconnects after an orchestrator restart with every event applied exactly once', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const group = await createGroup(orch, 'api-g2');
    disposeAfterTest(await startApiAgent(orch, { group: 'api-g2', name: 'api-replay' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const lines = 250;
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines, everyMs: 10 } });
    await waitFor(async () => (await apiStdout(orch, id)).length >= 10, { what: 'first lines' });
    await orch.restart();
    const end = await waitForSessionEnd(orch, id, 30_000);
    expect(end['statuscode']).toBe(4);
    expect(await apiStdout(orch, id)).toEqual(Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${lines}`));
  });

  it('CancelDesktopFlowRun of a running session: Cancelled, process tree gone', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const group = await createGroup(orch, 'api-g3');
    disposeAfterTest(await startApiAgent(orch, { group: 'api-g3', name: 'api-cancel' }));
    const wf = await createFixtureWorkflow(orch, 'tree.mjs');
    const id = await runFlow(orch, wf, { machineGroupId: group });
    const line = await waitFor(async () => (await apiStdout(orch, id)).find((l) => l.startsWith('pids ')), { what: 'pids' });
    const pids = line.split(' ').slice(1).map(Number);
    const res = await orch.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
    expect(res.status).toBe(204);
    expect(await waitForSessionEnd(orch, id)).toMatchObject({ statuscode: 7 });
    await waitFor(() => !pids.some(alive), { what: 'the process tree to be gone', timeoutMs: 5000 });
    expect((await getSession(orch, id))['errorcode']).toBe('Cancelled');
  });

  it('callback retries: 503, 503, 200 → exactly one success, the same Idempotency-Key each time', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver((n) => (n < 2 ? 503 : 200)));
    const group = await createGroup(orch, 'api-g4');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'api-g4', name: 'api-cb' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 1 }, callbackUrl: receiver.url('/retry') });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    await waitFor(() => receiver.to('/retry').some((r) => r.status === 200), { what: 'a successful delivery' });
    await waitFor(() => a.agent.state().backlog.callbacks === 0, { what: 'callback outbox empty' });
    const requests = receiver.to('/retry');
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([id]));
  });
});
