import { describe, expect, it } from 'vitest';
import { startCallbackReceiver, verifyReceived } from '../support/callback-receiver.js';
import { createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { waitFor } from '../support/wait-for.js';

/** Far beyond the orchestrator's negligible skew (1 s), well inside the receiver's signature window (300 s). */
const AGENT_CLOCK_AHEAD_MS = 8_000;

describe('e2e: one callback body, whoever sends it', () => {
  it("an agent whose clock is 8 s ahead: its first POST and the orchestrator's TriggerDesktopFlowRunCallback carry the same bytes and headers", async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const group = await createGroup(orch, 'body-g');
    const agent = disposeAfterTest(await startApiAgent(orch, { group: 'body-g', name: 'body-a', now: () => new Date(Date.now() + AGENT_CLOCK_AHEAD_MS) }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 2, name: 'ü' }, callbackUrl: receiver.url('/cb') });
    const end = await waitForSessionEnd(orch, id);
    const [first] = await waitFor(() => receiver.to('/cb').length === 1 && receiver.to('/cb'), { what: "the agent's callback" });

    const resend = await orch.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(resend.status, resend.text).toBe(200);
    expect(resend.json).toEqual({ '@odata.context': `${orch.url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallbackResponse`, callbackHttpResponseCode: 200 });
    const [, again] = await waitFor(() => receiver.to('/cb').length === 2 && receiver.to('/cb'), { what: "the orchestrator's re-send" });

    const secret = ((await orch.api('GET', `flowmachinegroups(${group})?$select=callbacksecret`)).json as { callbacksecret: string }).callbacksecret;
    expect(verifyReceived(first!, [secret])).toMatchObject({ ok: true, signer: agent.machineId });
    expect(verifyReceived(again!, [secret])).toMatchObject({ ok: true, signer: 'orchestrator' });
    expect(again!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    // The headers Dataverse sends, the same from the agent and on the orchestrator's re-send.
    const dataverseHeaders = { 'user-agent': 'EnterpriseConnectors/1.0', 'content-type': 'application/json; charset=utf-8', 'x-ms-workflow-id': wf, 'x-ms-run-id': id };
    expect(first!.headers).toMatchObject(dataverseHeaders);
    expect(again!.headers).toMatchObject(dataverseHeaders);
    expect(again!.body).toBe(first!.body);
    // The body carries the agent's own times: the record holds them on the orchestrator's clock, 8 s earlier.
    const sent = JSON.parse(first!.body) as { completedon: string; outputs: unknown };
    expect(sent.outputs).toEqual({ greeting: 'hello ü', lines: 2 });
    expect(Date.parse(sent.completedon) - Date.parse(String(end['completedon']))).toBeGreaterThan(AGENT_CLOCK_AHEAD_MS / 2);
  });
});
