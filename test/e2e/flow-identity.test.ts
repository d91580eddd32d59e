import { describe, expect, it } from 'vitest';
import { SessionStatus } from '../../shared/option-sets.js';
import { flowlogEntity, flowmachineEntity } from '../../shared/records/index.js';
import { fixtureWorkflow, queue, startAgent, startOrchestrator, stdoutLogs, waitForEnd } from './e2e-harness.js';
import { waitFor } from '../support/wait-for.js';
import { currentUser, lookupUser } from '../../main/agent/process/session-user.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { isRoot, skipUnless } from '../support/requirements.js';

const nobody = lookupUser('nobody');

describe('e2e: who runs the flow, and what it may show', () => {
  it.skipIf(skipUnless(isRoot && nobody !== undefined, 'root and a `nobody` user, to run flows as a session user'))('runs an Unattended session as its session user (needs root and a `nobody` user)', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'root-agent', sessionUsers: ['nobody'] }));
    const wf = String(
      orch.workflow({ clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log(`uid ${process.getuid()} home ${process.env.HOME}`)' }) })[
        'workflowid'
      ],
    );
    const id = queue(orch, wf, g, { sessionusername: 'nobody' });
    const end = await waitForEnd(orch, id);
    expect(end).toMatchObject({ statuscode: 4, sessionusername: 'nobody' });
    expect(stdoutLogs(orch, id)).toEqual([`uid ${nobody!.uid} home ${nobody!.home}`]);
  });

  it.skipIf(skipUnless(isRoot && nobody !== undefined, 'root and a `nobody` user, to run flows as a session user'))('with --session-user nobody, a session that names no user runs as nobody, never as root (needs root and a `nobody` user)', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    const a = disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'root-agent', sessionUsers: ['nobody'] }));
    // The orchestrator sees the users the agent really runs as.
    await waitFor(() => orch.store.get(flowmachineEntity, a.machineId)?.['sessionusers'] === JSON.stringify(['nobody']), { what: 'the machine to advertise its session users' });
    const wf = String(orch.workflow({ clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log(`uid ${process.getuid()}`)' }) })['workflowid']);
    const id = queue(orch, wf, g);
    const end = await waitForEnd(orch, id);
    expect(stdoutLogs(orch, id)).toEqual([`uid ${nobody!.uid}`]);
    expect(end).toMatchObject({ statuscode: SessionStatus.v.Succeeded, sessionusername: 'nobody' });
    expect(a.agent.state().scheduling.sessionUsers).toEqual(['nobody']);
  });

  it("a session naming the agent's own user runs on a default agent (it advertises its own user); one naming another user waits", async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'default-agent' }));
    const me = currentUser();
    const wf = String(orch.workflow({ clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log("ran")' }) })['workflowid']);
    const own = queue(orch, wf, g, { sessionusername: me });
    expect(await waitForEnd(orch, own)).toMatchObject({ statuscode: SessionStatus.v.Succeeded, sessionusername: me });
    const other = queue(orch, wf, g, { sessionusername: `${me}-other` });
    await waitFor(() => orch.get(other)['queuereason'] === 'SessionUserUnavailable', { what: 'the other-user session to wait with SessionUserUnavailable' });
    expect(Number(orch.get(other)['statuscode'])).toBe(SessionStatus.v.Waiting);
  });

  it('rejects a session user it cannot act as (SessionUserUnavailable) and never runs it', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    const a = disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'no-ghosts', sessionUsers: ['ghost-user-that-does-not-exist'] }));
    const id = queue(orch, fixtureWorkflow(orch, 'lines.mjs'), g, { sessionusername: 'ghost-user-that-does-not-exist' });
    const failed = await waitFor(
      () => orch.store.query(flowlogEntity, { where: `_flowsessionid_value = ? AND type = 100000005`, params: [id] })[0],
      { what: 'an AssignFailed flowlog' },
    );
    expect(String(failed['data'])).toContain('SessionUserUnavailable');
    expect(Number(orch.get(id)['statuscode'])).toBe(3);
    expect(orch.get(id)['startedon'] ?? null).toBeNull();
    expect(a.agent.state().sessions).toEqual([]);
  });

  it('masks secret inputs in every flowlog line', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'masker' }));
    const wf = String(
      orch.workflow({
        clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log(`token=${process.env.FLOWHOST_INPUT_TOKEN} plain=${process.env.FLOWHOST_INPUT_USER}`)' }),
        inputschema: JSON.stringify({ type: 'object', properties: { token: { type: 'string', 'x-secret': true }, user: { type: 'string' } } }),
      })['workflowid'],
    );
    const id = queue(orch, wf, g, { inputs: { token: 's3cr3t-value-42', user: 'alice' } });
    expect((await waitForEnd(orch, id))['statuscode']).toBe(4);
    expect(stdoutLogs(orch, id)).toEqual(['token=*** plain=alice']);
    const all = orch.store.query(flowlogEntity, { where: '_flowsessionid_value = ?', params: [id] }).map((r) => String(r['data']));
    expect(all.join('\n')).not.toContain('s3cr3t-value-42');
  });

  it('fails a run whose outputs do not match the output schema (OutputsInvalid)', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = String(orch.group('g1')['flowmachinegroupid']);
    disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'strict' }));
    const wf = fixtureWorkflow(orch, 'lines.mjs', { outputschema: JSON.stringify({ type: 'object', properties: { lines: { type: 'string' } }, required: ['lines'] }) });
    const id = queue(orch, wf, g, { inputs: { lines: 1 } });
    const end = await waitForEnd(orch, id);
    expect(end).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
    expect(String(end['errormessage'])).toMatch(/lines/);
  });
});
