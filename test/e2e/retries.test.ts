import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../support/callback-receiver.js';
import { apiOk, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type ApiClient, type Row } from '../support/api-harness.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

/** Every attempt of the chain `first` started, in attempt order (they share its correlationid). */
async function chain(orch: ApiClient, correlationid: string): Promise<Row[]> {
  const page = await apiOk(orch, 'GET', `flowsessions?$filter=correlationid eq '${correlationid}'&$orderby=attempt`);
  return page['value'] as Row[];
}

const counterFile = (): string => {
  const dir = tempDir('flowhost-retries-');
  chmodSync(dir, 0o777);
  return join(dir, 'runs');
};

describe('e2e: retries through the Web API with a real agent', () => {
  it('a flow failing twice then succeeding under maxAttempts 3: three linked sessions, one callback (for the last)', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const g = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'retrying' }));
    const wf = await createFixtureWorkflow(orch, 'flaky.mjs');
    const first = await runFlow(orch, wf, {
      machineGroupId: g,
      inputs: { counter: counterFile(), failures: 2, exitCode: 2 },
      callbackUrl: receiver.url('/done'),
      retryPolicy: { maxAttempts: 3, backoffSeconds: 0, on: ['ExitCode:2'] },
    });
    expect(await getSession(orch, first)).toMatchObject({ attempt: 1, firstattemptid: null });
    await waitFor(async () => ((await chain(orch, first)).at(-1)?.['statuscode'] === 4 ? true : undefined), { what: 'the third attempt to succeed', timeoutMs: 30_000 });
    const sessions = await chain(orch, first);
    expect(sessions.map((s) => [s['attempt'], s['statuscode'], s['errorcode']])).toEqual([
      [1, 8, 'FlowExitCode'],
      [2, 8, 'FlowExitCode'],
      [3, 4, null],
    ]);
    expect(sessions.map((s) => s['firstattemptid'])).toEqual([null, first, first]);
    expect(sessions[0]!['flowsessionid']).toBe(first);
    // Each later attempt was eligible once the one before it ended (backoff 0) and ran after it.
    for (const [before, after] of [[sessions[0]!, sessions[1]!], [sessions[1]!, sessions[2]!]] as const) {
      expect(Date.parse(String(after['startedon']))).toBeGreaterThanOrEqual(Date.parse(String(before['completedon'])));
    }
    const last = String(sessions[2]!['flowsessionid']);
    await waitFor(() => receiver.to('/done').length > 0, { what: 'the callback', timeoutMs: 10_000 });
    await waitFor(() => a.agent.state().backlog.callbacks === 0, { what: "the agent's callback outbox to empty" });
    const callbacks = receiver.to('/done');
    expect(callbacks.map((c) => c.headers['idempotency-key'])).toEqual([last]);
    expect(JSON.parse(callbacks[0]!.body)).toMatchObject({ flowsessionid: last, statuscode: 4 });
  });

  it('the waiting attempt shows RetryScheduled until its backoff passed; cancelling it stops the chain, one callback', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'retrying' }));
    // The workflow's policy applies to a call that names none.
    const wf = await createFixtureWorkflow(orch, 'flaky.mjs', { retrypolicy: JSON.stringify({ maxAttempts: 3, backoffSeconds: 3600, on: ['Failed'] }) });
    const first = await runFlow(orch, wf, { machineGroupId: g, inputs: { counter: counterFile(), failures: 5 }, callbackUrl: receiver.url('/done'), correlationId: 'order-42' });
    const ended = await waitForSessionEnd(orch, first);
    expect(ended).toMatchObject({ statuscode: 8, attempt: 1, correlationid: 'order-42' });
    const [, second] = await chain(orch, 'order-42');
    expect(second).toMatchObject({ attempt: 2, firstattemptid: first, statuscode: 3, queuereason: 'RetryScheduled', callbackurl: receiver.url('/done') });
    // Backoff 3600 s with jitter: from half of it to all of it after the first attempt ended.
    const wait = Date.parse(String(second!['scheduledfor'])) - Date.parse(String(ended['completedon']));
    expect(wait).toBeGreaterThanOrEqual(1800_000 - 5000);
    expect(wait).toBeLessThanOrEqual(3600_000 + 5000);
    // The queue keeps its reason: held for the retry, not merely "Scheduled". A probe queued behind it in its group gets
    // its own reason from a dispatch pass, which planned the waiting attempt too.
    const probe = await runFlow(orch, wf, { machineGroupId: g, scheduledFor: new Date(Date.now() + 3600_000).toISOString() });
    await waitFor(async () => (await getSession(orch, probe))['queuereason'] === 'Scheduled', { what: 'a dispatch pass over the group' });
    expect((await getSession(orch, String(second!['flowsessionid'])))['queuereason']).toBe('RetryScheduled');
    expect(receiver.to('/done')).toEqual([]);

    expect((await orch.api('POST', `flowsessions(${String(second!['flowsessionid'])})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    expect(await getSession(orch, String(second!['flowsessionid']))).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    expect((await chain(orch, 'order-42')).length).toBe(2);
    await waitFor(() => receiver.to('/done').length > 0, { what: 'the callback of the last attempt', timeoutMs: 10_000 });
    expect(receiver.to('/done').map((c) => c.headers['idempotency-key'])).toEqual([second!['flowsessionid']]);
  });

  it('the next attempt, committed with the end of the one before, runs after an orchestrator restart during its backoff', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'retrying' }));
    const wf = await createFixtureWorkflow(orch, 'flaky.mjs');
    const first = await runFlow(orch, wf, { machineGroupId: g, inputs: { counter: counterFile(), failures: 1 }, retryPolicy: { maxAttempts: 2, backoffSeconds: 3, jitter: false, on: ['Failed'] } });
    expect(await waitForSessionEnd(orch, first)).toMatchObject({ statuscode: 8 });
    await orch.restart();
    const [, second] = await chain(orch, first);
    expect(second).toMatchObject({ attempt: 2, statuscode: 3, queuereason: 'RetryScheduled' });
    expect(await waitForSessionEnd(orch, String(second!['flowsessionid']), 20_000)).toMatchObject({ statuscode: 4, attempt: 2, firstattemptid: first });
    expect((await chain(orch, first)).length).toBe(2);
  });

  it('cancelling an earlier, ended attempt cancels the waiting one', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'retrying' }));
    const wf = await createFixtureWorkflow(orch, 'flaky.mjs');
    const first = await runFlow(orch, wf, { machineGroupId: g, inputs: { counter: counterFile(), failures: 5 }, retryPolicy: JSON.stringify({ maxAttempts: 2, backoffSeconds: 600, on: ['Failed'] }) });
    expect(await waitForSessionEnd(orch, first)).toMatchObject({ statuscode: 8, correlationid: first });
    const [, second] = await chain(orch, first);
    expect(second).toMatchObject({ attempt: 2, statuscode: 3 });
    expect((await orch.api('POST', `flowsessions(${first})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    expect(await getSession(orch, String(second!['flowsessionid']))).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    expect((await getSession(orch, first))['statuscode']).toBe(8);
  });

  it('refuses a bad policy with a clear error, on the call and on the workflow', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const wf = await createFixtureWorkflow(orch, 'flaky.mjs');
    const call = await orch.api('POST', `workflows(${wf})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', machineGroupId: g, retryPolicy: { maxAttempts: 50, on: ['Failed'] } });
    expect(call.status).toBe(400);
    expect(call.text).toMatch(/InvalidRetryPolicy.*maxAttempts must be <= 10|maxAttempts must be <= 10.*InvalidRetryPolicy/s);
    const stored = await orch.api('PATCH', `workflows(${wf})`, { retrypolicy: JSON.stringify({ maxAttempts: 2, backoffSeconds: 60, maxBackoffSeconds: 5, on: ['Failed'] }) });
    expect(stored.status).toBe(400);
    expect(stored.text).toContain('maxBackoffSeconds (5) must not be less than backoffSeconds (60)');
    const noSessions = await apiOk(orch, 'GET', `flowsessions?$filter=_regardingobjectid_value eq ${wf}`);
    expect(noSessions['value']).toEqual([]);
  });
});
