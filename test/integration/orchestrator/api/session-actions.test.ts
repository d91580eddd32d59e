import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { waitFor } from '../../../support/wait-for.js';
import { apiError, createGroup, createMachine, createWorkflow, runFlow } from './api-fixtures.js';

let o: TestOrchestrator;
let groupId: string;
let wfId: string;
const inputschema = JSON.stringify({ type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } }, required: ['n'], additionalProperties: false });
const run = (workflowId: string, body: unknown, headers?: Record<string, string>) => o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body, headers);

beforeEach(async () => {
  o = await startTestOrchestrator();
  groupId = await createGroup(o);
  wfId = await createWorkflow(o, { name: 'Nightly report', inputschema });
});
afterEach(async () => {
  await o.close();
});

describe('RunDesktopFlow', () => {
  it('creates a Waiting session named after the workflow with the brief defaults', async () => {
    const id = await runFlow(o, wfId, { machineGroupId: groupId, inputs: { n: 1 }, runPriority: 'high', callbackUrl: 'https://example.com/cb' });
    const s = (await o.api('GET', `flowsessions(${id})`)).json;
    expect(s).toMatchObject({
      name: 'Nightly report',
      _regardingobjectid_value: wfId,
      _machinegroupid_value: groupId,
      triggertype: 3,
      statecode: 0,
      statuscode: 3,
      runmode: 2,
      priority: 100,
      timeout: 10800,
      callbackurl: 'https://example.com/cb',
    });
    expect(JSON.parse(s.inputs)).toEqual({ n: 1 });
    await expect.poll(async () => (await o.get(id)).queuereason).toEqual(expect.any(String));
    const logs = await o.api('GET', `flowlogs?$filter=_flowsessionid_value eq ${id}`);
    expect(logs.json.value.map((l: { type: number }) => l.type)).toContain(100000003);
  });

  it('accepts no Content-Type with an empty body only as far as the schema allows, and charset=utf-8', async () => {
    const empty = await fetch(`${o.url}/api/data/v9.2/workflows(${wfId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { method: 'POST', headers: { authorization: `Bearer ${o.token}` } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toContain("missing required property 'runMode'");
    const charset = await run(wfId, { runMode: 'attended', machineGroupId: groupId, inputs: { n: 2 }, runPriority: 7 }, { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status, charset.text).toBe(200);
    const s = (await o.api('GET', `flowsessions(${charset.json.flowsessionId})`)).json;
    expect(s).toMatchObject({ runmode: 1, priority: 7 });
  });

  it('targets one machine (its group comes along); exactly one target is required', async () => {
    const machineId = await createMachine(o);
    const id = await runFlow(o, wfId, { machineId, inputs: { n: 1 }, timeout: 60, scheduledFor: '2099-01-01T00:00:00Z', sessionUser: 'bot' });
    const s = (await o.api('GET', `flowsessions(${id})`)).json;
    expect(s).toMatchObject({ _machineid_value: machineId, _machinegroupid_value: groupId, timeout: 60, sessionusername: 'bot' });
    expect(Date.parse(s.scheduledfor)).toBe(Date.parse('2099-01-01T00:00:00Z'));
    const both = await run(wfId, { runMode: 'unattended', machineId, machineGroupId: groupId, inputs: { n: 1 } });
    expect(both.status).toBe(400);
    expect(apiError(both).message).toContain('exactly one');
    const none = await run(wfId, { runMode: 'unattended', inputs: { n: 1 } });
    expect(none.status).toBe(400);
  });

  it('validates the body and the inputs against the inputschema', async () => {
    const cases: [unknown, number, string][] = [
      [{ runMode: 'sometimes', machineGroupId: groupId }, 400, 'runMode'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 'one' } }, 400, 'inputs.n must be integer'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: {} }, 400, "missing required property 'n'"],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 }, timeout: 86_401 }, 400, 'timeout'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 }, callbackUrl: 'not a url' }, 400, 'not a valid absolute URL'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 }, callbackUrl: 'ftp://x/y' }, 400, 'https'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 }, callbackUrl: 'https://u:p@x/y' }, 400, 'credentials'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 }, colour: 'red' }, 400, "unknown property 'colour'"],
      [{ runMode: 'unattended', machineGroupId: '00000000-0000-4000-8000-000000000001', inputs: { n: 1 } }, 400, 'does not exist'],
      [{ runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1, s: 'x'.repeat(2_000_001) } }, 413, 'limit'],
    ];
    for (const [body, status, text] of cases) {
      const res = await run(wfId, body);
      expect(res.status, text).toBe(status);
      expect(apiError(res).message, text).toContain(text);
    }
    expect((await run('00000000-0000-4000-8000-000000000002', { runMode: 'unattended', machineGroupId: groupId })).status).toBe(404);
    expect((await o.api('GET', 'flowsessions/$count')).text).toBe('0');
  });
});

describe('CancelDesktopFlowRun and TriggerDesktopFlowRunCallback', () => {
  it('cancels a waiting session at once; a terminal one can be deleted, a waiting one cannot', async () => {
    const id = await runFlow(o, wfId, { machineGroupId: groupId, inputs: { n: 1 } });
    const early = await o.api('DELETE', `flowsessions(${id})`);
    expect(early.status).toBe(409);
    expect(apiError(early).code).toBe('SessionNotFinished');
    const trigger = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(trigger.status).toBe(409);
    const cancel = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
    expect(cancel.status).toBe(204);
    expect((await o.api('GET', `flowsessions(${id})?$select=statuscode`)).json.statuscode).toBe(7);
    const noUrl = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(noUrl.status).toBe(409);
    expect(apiError(noUrl).code).toBe('NoCallbackUrl');
    expect((await o.api('DELETE', `flowsessions(${id})`)).status).toBe(204);
    expect((await o.api('GET', `flowlogs/$count?$filter=_flowsessionid_value eq ${id}`)).text).toBe('0');
    expect((await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(404);
  });

  it('re-sends the callback of a finished session as a backgroundoperation; a receiver that cannot be reached is a 502, retried', async () => {
    const id = await runFlow(o, wfId, { machineGroupId: groupId, inputs: { n: 1 }, callbackUrl: 'https://callback.invalid/cb' });
    await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
    const before = Number((await o.api('GET', 'backgroundoperations/$count')).text);
    const res = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(res.status, res.text).toBe(502);
    expect(apiError(res)).toMatchObject({ code: 'CallbackFailed', reason: 'CallbackFailed' });
    expect(apiError(res).message).toMatch(/callback\.invalid.*retried as backgroundoperation/);
    await waitFor(async () => Number((await o.api('GET', 'backgroundoperations/$count')).text) === before + 1, { what: 'a new callback operation' });
  });

  it('unknown actions are 404', async () => {
    const res = await o.api('POST', `workflows(${wfId})/Microsoft.Dynamics.CRM.Explode`);
    expect(res.status).toBe(404);
    expect(apiError(res)).toMatchObject({ code: '0x8006088a', reason: 'UnknownAction' });
  });
});

describe('flowsessions writes', () => {
  it('POST validates like RunDesktopFlow; PATCH only writable fields', async () => {
    const created = await o.api('POST', 'flowsessions', { _regardingobjectid_value: wfId, _machinegroupid_value: groupId, inputs: '{"n":"x"}' });
    expect(created.status).toBe(400);
    expect(apiError(created).message).toContain('inputschema');
    const ok = await o.api('POST', 'flowsessions', { _regardingobjectid_value: wfId, _machinegroupid_value: groupId, inputs: '{"n":3}', priority: 5 }, { prefer: 'return=representation' });
    expect(ok.status).toBe(201);
    const id = ok.json.flowsessionid;
    expect((await o.api('PATCH', `flowsessions(${id})`, { priority: 9 })).status).toBe(204);
    const bad = await o.api('PATCH', `flowsessions(${id})`, { outputs: '{}' });
    expect(bad.status).toBe(400);
    expect(apiError(bad).message).toContain("unknown property 'outputs'");
    expect((await o.api('GET', `flowsessions(${id})`)).json).toMatchObject({ priority: 9, statuscode: 3 });
  });

  it('PATCH of statecode/statuscode: 400 for what flowhost does not do, Cancelled cancels (with If-Match), then nothing more', async () => {
    const id = await runFlow(o, wfId, { machineGroupId: groupId, inputs: { n: 1 } });
    const refused = async (body: object, words: string) => {
      const res = await o.api('PATCH', `flowsessions(${id})`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(apiError(res), JSON.stringify(body)).toMatchObject({ reason: 'InvalidStateTransition' });
      expect(apiError(res).message).toContain(words);
    };
    await refused({ statuscode: 1 }, 'is Waiting: only a Running session can be paused');
    await refused({ statecode: 0, statuscode: 2 }, 'only a Paused session can be resumed');
    await refused({ statuscode: 4 }, 'statuscode Succeeded is set by flowhost');
    await refused({ statecode: 1, statuscode: 7 }, 'statuscode Cancelled belongs to statecode Active, not Inactive');
    await refused({ statecode: 1 }, 'not by statecode Inactive alone');
    const version = (await o.api('GET', `flowsessions(${id})?$select=versionnumber`)).json['versionnumber'] as number;
    expect((await o.api('PATCH', `flowsessions(${id})`, { statuscode: 7 }, { 'if-match': `W/"${version + 1}"` })).status).toBe(412);
    expect((await o.api('GET', `flowsessions(${id})`)).json).toMatchObject({ statuscode: 3 });
    expect((await o.api('PATCH', `flowsessions(${id})`, { statecode: 0, statuscode: 7 }, { 'if-match': `W/"${version}"` })).status).toBe(204);
    expect((await o.api('GET', `flowsessions(${id})`)).json).toMatchObject({ statecode: 0, statuscode: 7 });
    await refused({ statuscode: 2 }, 'is Cancelled: it has ended and its status no longer changes');
    expect((await o.api('PATCH', `flowsessions(${id})`, { statuscode: 7 })).status).toBe(204);
  });
});

describe('RotateCallbackSecret', () => {
  const rotate = (id: string, body?: unknown) => o.api('POST', `flowmachinegroups(${id})/Microsoft.Dynamics.CRM.RotateCallbackSecret`, body);
  it('answers a new secret and stores it; a password change leaves it alone; unknown group 404, parameters 400', async () => {
    const before = (await o.api('GET', `flowmachinegroups(${groupId})?$select=callbacksecret`)).json.callbacksecret as string;
    expect((await o.api('PATCH', `flowmachinegroups(${groupId})`, { password: 'another-password' })).status).toBe(204);
    expect((await o.api('GET', `flowmachinegroups(${groupId})?$select=callbacksecret`)).json.callbacksecret).toBe(before);
    const res = await rotate(groupId);
    expect(res.status).toBe(200);
    expect(res.json.callbacksecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(res.json.callbacksecret).not.toBe(before);
    expect((await o.api('GET', `flowmachinegroups(${groupId})?$select=callbacksecret`)).json.callbacksecret).toBe(res.json.callbacksecret);
    expect((await rotate('0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e99')).status).toBe(404);
    expect((await rotate(groupId, { secret: 'mine' })).status).toBe(400);
    expect((await o.api('GET', '$metadata')).text).toContain('<Action Name="RotateCallbackSecret" IsBound="true">');
  });
});
