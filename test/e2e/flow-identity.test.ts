import { describe, expect, it } from 'vitest';
import { SessionStatus } from '../../shared/option-sets.js';
import { apiOk, apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { currentUser, lookupUser } from '../../main/agent/process/session-user.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { isRoot, LINUX, skipUnless } from '../support/requirements.js';

const nobody = lookupUser('nobody');

/** A `node` workflow running `script`, created over the Web API. */
const nodeWorkflow = async (o: TestOrchestrator, script: string, extra: Row = {}) =>
  String((await apiOk(o, 'POST', 'workflows', { name: 'node', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script }), ...extra }))['workflowid']);
/** The session's flowlog rows (all, or of one type), read over the Web API. */
const flowlogs = async (o: TestOrchestrator, id: string, type?: number) =>
  (await apiOk(o, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id}${type === undefined ? '' : ` and type eq ${type}`}&$select=data`))['value'] as Row[];

describe('e2e: who runs the flow, and what it may show', () => {
  it.skipIf(skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user, to run flows as a session user', platforms: LINUX }))('runs an Unattended session as its session user (needs root and a `nobody` user)', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'root-agent', sessionUsers: ['nobody'] }));
    const wf = await nodeWorkflow(orch, 'console.log(`uid ${process.getuid()} home ${process.env.HOME}`)');
    const id = await runFlow(orch, wf, { machineGroupId: g, sessionUser: 'nobody' });
    const end = await waitForSessionEnd(orch, id);
    expect(end).toMatchObject({ statuscode: 4, sessionusername: 'nobody' });
    expect(await apiStdout(orch, id)).toEqual([`uid ${nobody!.uid} home ${nobody!.home}`]);
  });

  it.skipIf(skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user, to run flows as a session user', platforms: LINUX }))('with --session-user nobody, a session that names no user runs as nobody, never as root (needs root and a `nobody` user)', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'root-agent', sessionUsers: ['nobody'] }));
    // The orchestrator sees the users the agent really runs as.
    await waitFor(async () => (await apiOk(orch, 'GET', `flowmachines(${a.machineId})?$select=sessionusers`))['sessionusers'] === JSON.stringify(['nobody']), {
      what: 'the machine to advertise its session users',
    });
    const wf = await nodeWorkflow(orch, 'console.log(`uid ${process.getuid()}`)');
    const id = await runFlow(orch, wf, { machineGroupId: g });
    const end = await waitForSessionEnd(orch, id);
    expect(await apiStdout(orch, id)).toEqual([`uid ${nobody!.uid}`]);
    expect(end).toMatchObject({ statuscode: SessionStatus.v.Succeeded, sessionusername: 'nobody' });
    expect(a.agent.state().scheduling.sessionUsers).toEqual(['nobody']);
  });

  it("a session naming the agent's own user runs on a default agent (it advertises its own user); one naming another user waits", async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'default-agent' }));
    const me = currentUser();
    const wf = await nodeWorkflow(orch, 'console.log("ran")');
    const own = await runFlow(orch, wf, { machineGroupId: g, sessionUser: me });
    expect(await waitForSessionEnd(orch, own)).toMatchObject({ statuscode: SessionStatus.v.Succeeded, sessionusername: me });
    const other = await runFlow(orch, wf, { machineGroupId: g, sessionUser: `${me}-other` });
    const waiting = await waitFor(async () => {
      const row = await getSession(orch, other);
      return row['queuereason'] === 'SessionUserUnavailable' && row;
    }, { what: 'the other-user session to wait with SessionUserUnavailable' });
    expect(waiting['statuscode']).toBe(SessionStatus.v.Waiting);
  });

  it('rejects a session user it cannot act as (SessionUserUnavailable) and never runs it', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'no-ghosts', sessionUsers: ['ghost-user-that-does-not-exist'] }));
    const id = await runFlow(orch, await createFixtureWorkflow(orch, 'lines.mjs'), { machineGroupId: g, sessionUser: 'ghost-user-that-does-not-exist' });
    const failed = await waitFor(async () => (await flowlogs(orch, id, 100000005))[0], { what: 'an AssignFailed flowlog' });
    expect(String(failed['data'])).toContain('SessionUserUnavailable');
    const row = await getSession(orch, id);
    expect(row['statuscode']).toBe(3);
    expect(row['startedon'] ?? null).toBeNull();
    expect(a.agent.state().sessions).toEqual([]);
  });

  it('masks secret inputs in every flowlog line', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'masker' }));
    const wf = await nodeWorkflow(orch, 'console.log(`token=${process.env.FLOWHOST_INPUT_TOKEN} plain=${process.env.FLOWHOST_INPUT_USER}`)', {
      inputschema: JSON.stringify({ type: 'object', properties: { token: { type: 'string', 'x-secret': true }, user: { type: 'string' } } }),
    });
    const id = await runFlow(orch, wf, { machineGroupId: g, inputs: { token: 's3cr3t-value-42', user: 'alice' } });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    expect(await apiStdout(orch, id)).toEqual(['token=*** plain=alice']);
    const all = (await flowlogs(orch, id)).map((r) => String(r['data']));
    expect(all.length).toBeGreaterThan(1);
    expect(all.join('\n')).not.toContain('s3cr3t-value-42');
    // Masked at rest too, not only in what the API returns.
    const stored = (await orch.running.store.logs.forSession(id)).map((r) => String(r['data']));
    expect(stored).toHaveLength(all.length);
    expect(stored.join('\n')).not.toContain('s3cr3t-value-42');
  });

  it('fails a run whose outputs do not match the output schema (OutputsInvalid)', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'strict' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs', { outputschema: JSON.stringify({ type: 'object', properties: { lines: { type: 'string' } }, required: ['lines'] }) });
    const id = await runFlow(orch, wf, { machineGroupId: g, inputs: { lines: 1 } });
    const end = await waitForSessionEnd(orch, id);
    expect(end).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
    expect(String(end['errormessage'])).toMatch(/lines/);
  });
});
