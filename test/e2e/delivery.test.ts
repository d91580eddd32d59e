import { describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../support/callback-receiver.js';
import { apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { FrameTap } from '../support/frame-tap.js';

describe('e2e: delivery across failures, through the Web API', () => {
  it('after the orchestrator restarts mid-run, the agent reconnects and every event is applied exactly once', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'replay' }));
    const firstSince = a.agent.state().connection.since;
    expect(firstSince).toEqual(expect.any(String));
    const lines = 300;
    const id = await runFlow(orch, await createFixtureWorkflow(orch, 'lines.mjs'), { machineGroupId: g, inputs: { lines, everyMs: 10 } });
    await waitFor(async () => (await apiStdout(orch, id)).length >= 20, { what: 'first lines upstream' });
    await orch.restart();
    const end = await waitForSessionEnd(orch, id, 30_000);
    expect(end['statuscode']).toBe(4);
    // A new connection (welcomed after the restart) carried the rest.
    expect(a.agent.state().connection).toMatchObject({ status: 'connected' });
    expect(a.agent.state().connection.since! > firstSince!).toBe(true);
    // Exactly the lines the flow wrote: none lost, none applied twice, in order.
    expect(await apiStdout(orch, id)).toEqual(Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${lines}`));
    await waitFor(() => a.agent.state().backlog.events === 0, { what: 'every event acked' });
  });

  it('retries a callback on 503 until it succeeds: exactly one success, the same Idempotency-Key and body every time', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver((n) => (n < 2 ? 503 : 200)));
    const g = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'callbacks' }));
    const id = await runFlow(orch, await createFixtureWorkflow(orch, 'lines.mjs'), { machineGroupId: g, inputs: { lines: 1 }, callbackUrl: receiver.url('/retry') });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    await waitFor(() => receiver.to('/retry').some((r) => r.status === 200), { what: 'a successful delivery', timeoutMs: 10_000 });
    await waitFor(() => a.agent.state().backlog.callbacks === 0, { what: 'the callback outbox to empty' });
    const requests = receiver.to('/retry');
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([id]));
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
  });

  it('a session cancelled (CancelDesktopFlowRun) while its agent was away is cancelled on reconnect (welcome.cancelSessions)', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const tap = disposeAfterTest(await FrameTap.start(orch.url));
    // A slow first retry (1.5 s) keeps the agent away while the orchestrator takes the cancel.
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'away', orchestratorUrls: [tap.url], backoff: { initialMs: 1500, maxMs: 1500, random: () => 1 } }));
    const id = await runFlow(orch, await createFixtureWorkflow(orch, 'ticker.mjs'), { machineGroupId: g, inputs: { everyMs: 50 } });
    await waitFor(async () => (await apiStdout(orch, id)).length > 0, { what: 'the run to start' });
    await orch.restart();
    await waitFor(() => a.agent.state().connection.status === 'disconnected', { what: 'the agent to notice' });
    const sentBefore = tap.fromOrchestrator.length;
    expect((await orch.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    expect(a.agent.state().connection.status).toBe('disconnected');
    expect((await getSession(orch, id))['statuscode']).toBe(2);
    const end = await waitForSessionEnd(orch, id, 15_000);
    expect(end).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    expect(a.agent.state().connection.status).toBe('connected');
    // The path: the next frame the agent got was the welcome naming the session; no cancel frame was ever sent.
    expect(tap.fromOrchestrator[sentBefore]).toMatchObject({ type: 'welcome', cancelSessions: [id] });
    expect(tap.frames('cancel')).toEqual([]);
  });
});
