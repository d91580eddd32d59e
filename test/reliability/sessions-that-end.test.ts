import { describe, expect, it } from 'vitest';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { FakeAgent, registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { expectClearError, rawRequest } from './support/hostile-api.js';

/**
 * Sessions that could never end, against the real orchestrator (Web API + gateway) and protocol-level fake agents:
 * a machine deleted while it holds a confirmed session, a cancel its machine never answers, and an agent whose clock
 * says year 0001 at its hello and the real time afterwards.
 */
const PASSWORD = 'group-password-sessions';
const CANCEL_GRACE_MS = 300;

type Row = Record<string, unknown>;

async function setup() {
  const o = disposeAfterTest(await startTestOrchestrator({ gateway: { queueTickMs: 20, cancelGraceMs: CANCEL_GRACE_MS } }));
  const ok = async (method: string, path: string, body?: unknown): Promise<Row> => {
    const res = await o.api(method, path, body, { prefer: 'return=representation' });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
    return (res.json ?? {}) as Row;
  };
  const group = String((await ok('POST', 'flowmachinegroups', { name: 'g1', password: PASSWORD }))['flowmachinegroupid']);
  const workflow = String((await ok('POST', 'workflows', { name: 'wf', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) }))['workflowid']);
  return { o, ok, group, workflow };
}

/** A registered machine with a fake agent that has said hello. */
async function fakeMachine(o: TestOrchestrator, helloOpts: Parameters<FakeAgent['hello']>[0] = {}): Promise<{ agent: FakeAgent; machineId: string }> {
  const reg = await registerMachine(o.url, { group: 'g1', password: PASSWORD, name: `m-${Math.random().toString(36).slice(2, 8)}` });
  const agent = await FakeAgent.connect({ baseUrl: o.url, machineId: reg.flowmachineid, credential: reg.credential });
  disposeAfterTest({ close: () => (agent.ws.readyState === agent.ws.OPEN ? agent.close() : undefined) });
  await agent.hello(helloOpts);
  return { agent, machineId: reg.flowmachineid };
}

/** Runs the workflow on the group and has `agent` take it: a confirmed session. */
async function confirmedSession(ctx: Awaited<ReturnType<typeof setup>>, agent: FakeAgent, timeout?: number): Promise<string> {
  const res = await ctx.o.api('POST', `workflows(${ctx.workflow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', machineGroupId: ctx.group, ...(timeout ? { timeout } : {}) });
  expect(res.status, res.text).toBe(200);
  const id = String((res.json as Row)['flowsessionId']);
  await agent.next('assign');
  agent.send({ type: 'accept', sessionId: id });
  await agent.next('confirm');
  return id;
}

const session = (ctx: Awaited<ReturnType<typeof setup>>, id: string) => ctx.ok('GET', `flowsessions(${id})`);

describe('reliability: every session can end', () => {
  it('machine DELETE is refused (409 MachineBusy) while it holds a confirmed session, and allowed once the session ended', async () => {
    const ctx = await setup();
    const { agent, machineId } = await fakeMachine(ctx.o);
    const id = await confirmedSession(ctx, agent);
    expect((await session(ctx, id))['statuscode']).toBe(3); // confirmed, not started yet

    const refused = await rawRequest(`${ctx.o.url}/api/data/v9.2/flowmachines(${machineId})`, 'DELETE', { authorization: `Bearer ${ctx.o.token}` });
    const err = expectClearError(refused, 'DELETE of a busy machine');
    expect(refused.status).toBe(409);
    expect(err.code).toBe('MachineBusy');
    expect(err.message).toContain('open session');
    expect((await ctx.o.api('GET', `flowmachines(${machineId})`)).status).toBe(200);

    expect((await ctx.o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {})).status).toBe(204);
    await agent.next('cancel');
    agent.event({ sessionId: id, kind: 'completed', statuscode: 7, completedon: new Date().toISOString(), errorcode: 'Cancelled' });
    await waitFor(async () => (await session(ctx, id))['statuscode'] === 7, { what: 'the session to end Cancelled' });
    expect((await ctx.o.api('DELETE', `flowmachines(${machineId})`)).status).toBe(204);
  });

  it('CancelDesktopFlowRun of a session whose machine is gone ends it Cancelled at once', async () => {
    const ctx = await setup();
    const { agent, machineId } = await fakeMachine(ctx.o);
    const id = await confirmedSession(ctx, agent);
    agent.event({ sessionId: id, kind: 'started', startedon: new Date().toISOString() });
    await waitFor(async () => (await session(ctx, id))['statuscode'] === 2, { what: 'the session to run' });
    // The machine record is gone (removed by a release that allowed it, or by hand in the database).
    await agent.close();
    await ctx.o.running.store.machines.delete(machineId);

    expect((await ctx.o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {})).status).toBe(204);
    const row = await session(ctx, id);
    expect(row).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    expect(String(row['errormessage'])).toContain('no longer exists');
    // The workflow is no longer held by an open session.
    expect((await ctx.o.api('DELETE', `workflows(${ctx.workflow})`)).status).toBe(204);
  });

  it('CancelDesktopFlowRun of a session whose machine never answers ends it Cancelled after the cancel grace', async () => {
    const ctx = await setup();
    const { agent } = await fakeMachine(ctx.o);
    const id = await confirmedSession(ctx, agent);
    agent.event({ sessionId: id, kind: 'started', startedon: new Date().toISOString() });
    await waitFor(async () => (await session(ctx, id))['statuscode'] === 2, { what: 'the session to run' });

    expect((await ctx.o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {})).status).toBe(204);
    await agent.next('cancel'); // received, never acted on
    const row = await waitFor(
      async () => {
        const r = await session(ctx, id);
        return r['statuscode'] === 7 ? r : undefined;
      },
      { what: 'the session to end Cancelled without its agent', timeoutMs: 10_000 },
    );
    expect(row).toMatchObject({ errorcode: 'Cancelled' });
    expect(String(row['errormessage'])).toContain('did not report');
  });

  it('an agent clock at year 0001 at its hello (real time afterwards) cannot push the run deadline to year 4052: the run timeout fires', async () => {
    const ctx = await setup();
    const { agent } = await fakeMachine(ctx.o, { agentTime: '0001-01-01T00:00:00.000Z' });
    const id = await confirmedSession(ctx, agent, 1);
    const startedon = new Date().toISOString();
    agent.event({ sessionId: id, kind: 'started', startedon });
    const row = await waitFor(
      async () => {
        const r = await session(ctx, id);
        return r['statuscode'] === 2 ? r : undefined;
      },
      { what: 'the session to run' },
    );
    const year = new Date(String(row['startedon'])).getUTCFullYear();
    expect(year, String(row['startedon'])).toBe(new Date().getUTCFullYear());
    // Its 1 s run timeout passes: the orchestrator cancels it on the agent.
    const cancel = await agent.next('cancel', 10_000);
    expect(cancel).toMatchObject({ sessionId: id, reason: 'timeout' });
  });
});
