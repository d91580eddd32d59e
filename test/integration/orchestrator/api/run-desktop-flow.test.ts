import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver } from '../../../support/callback-receiver.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';
import { apiError, createGroup, createWorkflow } from './api-fixtures.js';

/**
 * RunDesktopFlow and TriggerDesktopFlowRunCallback as Microsoft's pages "RunDesktopFlow Action", "Work with desktop
 * flows using code" and "TriggerDesktopFlowRunCallback Action" document them, over raw HTTP as curl sends them.
 */
let o: TestOrchestrator;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await o?.close();
  await receiver?.close();
  receiver = undefined;
});

const ROOT = () => `${o.url}/api/data/v9.2`;
const run = (workflowId: string, body: unknown) => o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body);
const session = async (id: string) => (await o.api('GET', `flowsessions(${id})`)).json as Record<string, unknown>;

async function start(callbackAllowHosts: string[] = [], dataDir?: string): Promise<{ groupId: string; wfId: string }> {
  o = await startTestOrchestrator({ gateway: { queueTickMs: 20, callbackAllowHosts, callbackBaseDelayMs: 50 }, ...(dataDir ? { dataDir } : {}) });
  return { groupId: await createGroup(o), wfId: await createWorkflow(o, { name: 'Desktop flow 1' }) };
}

describe('RunDesktopFlow as documented', () => {
  it("takes Microsoft's request body (inputs as a JSON serialized string) with a machine group for the connection and answers RunDesktopFlowResponse", async () => {
    const { groupId, wfId } = await start();
    // Microsoft's "Request to trigger a desktop flow", its connectionName replaced by flowhost's machineGroupId.
    const res = await run(wfId, { runMode: 'attended', runPriority: 'normal', machineGroupId: groupId, timeout: 7200, inputs: '{"Input1":"Value", "Input2":"Value"}' });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.json)).toEqual(['@odata.context', 'flowsessionId']);
    expect(res.json['@odata.context']).toBe(`${ROOT()}/$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`);
    const s = await session(res.json.flowsessionId);
    expect(s).toMatchObject({ runmode: 1, priority: 0, timeout: 7200, triggertype: 3, statuscode: 3, _machinegroupid_value: groupId });
    expect(JSON.parse(String(s['inputs']))).toEqual({ Input1: 'Value', Input2: 'Value' });
  });

  it('inputs: a JSON serialized object or the object itself; any other string is a 400 that says why', async () => {
    const { groupId, wfId } = await start();
    const asObject = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, inputs: { n: 1 } });
    expect(asObject.status, asObject.text).toBe(200);
    expect(JSON.parse(String((await session(asObject.json.flowsessionId))['inputs']))).toEqual({ n: 1 });
    const nulls = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, inputs: null, runPriority: null, timeout: null, callbackUrl: null, connectionType: null });
    expect(nulls.status, nulls.text).toBe(200);
    expect(await session(nulls.json.flowsessionId)).toMatchObject({ priority: 0, timeout: 10800, inputs: '{}' });
    const cases: [string, string][] = [
      ['[1,2]', 'inputs must be a JSON object'],
      ['"text"', 'inputs must be a JSON object'],
      ['{"Input1":', 'inputs is not valid JSON'],
      ['', 'inputs is not valid JSON'],
    ];
    for (const [inputs, text] of cases) {
      const res = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, inputs });
      expect(res.status, inputs).toBe(400);
      expect(apiError(res).message, inputs).toContain(`RunDesktopFlow body: ${text}`);
    }
    expect((await o.api('GET', 'flowsessions/$count')).text).toBe('2');
  });

  it('runPriority: normal and high in any case, your own as an integer written as text; other words are refused', async () => {
    const { groupId, wfId } = await start();
    const cases: [unknown, number][] = [
      ['High', 100],
      ['NORMAL', 0],
      ['50', 50],
      [' -10 ', -10],
      [7, 7],
    ];
    for (const [runPriority, priority] of cases) {
      const res = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, runPriority });
      expect(res.status, res.text).toBe(200);
      expect((await session(res.json.flowsessionId))['priority'], String(runPriority)).toBe(priority);
    }
    for (const runPriority of ['urgent', '1.5', '9999999']) {
      const res = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, runPriority });
      expect(res.status, runPriority).toBe(400);
      expect(apiError(res)).toMatchObject({ reason: 'InvalidRunPriority' });
      expect(apiError(res).message).toContain('neither normal, high nor an integer');
    }
  });

  it("runs through a connection reference with Microsoft's example body word for word: the connection's target and account", async () => {
    const { groupId, wfId } = await start();
    const conn = await o.api('POST', 'desktopflowconnections', { name: 'Robot account', 'MachineGroupId@odata.bind': `/flowmachinegroups(${groupId})`, sessionusername: 'robot', password: 'Secr3t-credential' }, { prefer: 'return=representation' });
    expect(conn.status, conn.text).toBe(201);
    const connectionId = String(conn.json.connectionid);
    const ref = await o.api('POST', 'connectionreferences', { connectionreferencelogicalname: '[Connection Reference Logical Name]', connectionreferencedisplayname: 'Robot', connectionid: connectionId });
    expect(ref.status, ref.text).toBe(204);
    // Microsoft's "Request to trigger a desktop flow with a connection reference", word for word.
    const res = await run(wfId, {
      runMode: 'attended',
      runPriority: 'normal',
      connectionName: '[Connection Reference Logical Name]',
      connectionType: 2,
      timeout: 7200,
      inputs: '{"Input1":"Value", "Input2":"Value"}',
    });
    expect(res.status, res.text).toBe(200);
    expect(await session(res.json.flowsessionId)).toMatchObject({ _machinegroupid_value: groupId, _machineid_value: null, connectionid: connectionId, sessionusername: 'robot', runmode: 1, timeout: 7200 });
  });

  it('connectionType 1 (or none) finds a connection by name; unknown names are 400s naming the kind looked up; a contradicting target is a 400', async () => {
    const { groupId, wfId } = await start();
    const otherGroup = await createGroup(o, 'g2');
    const conn = await o.api('POST', 'desktopflowconnections', { name: 'c1', _machinegroupid_value: groupId, sessionusername: 'alice' }, { prefer: 'return=representation' });
    expect(conn.status, conn.text).toBe(201);
    for (const connectionType of [1, null, undefined]) {
      const res = await run(wfId, { runMode: 'unattended', connectionName: 'c1', connectionType });
      expect(res.status, res.text).toBe(200);
      expect(await session(res.json.flowsessionId)).toMatchObject({ _machinegroupid_value: groupId, connectionid: conn.json.connectionid, sessionusername: 'alice' });
    }
    const agreeing = await run(wfId, { runMode: 'unattended', connectionName: 'c1', machineGroupId: groupId.toUpperCase(), sessionUser: 'alice' });
    expect(agreeing.status, agreeing.text).toBe(200);

    const noConnection = await run(wfId, { runMode: 'attended', connectionName: '[Connection Name]', connectionType: 1 });
    expect(noConnection.status).toBe(400);
    expect(apiError(noConnection)).toMatchObject({ reason: 'ConnectionNotFound' });
    expect(apiError(noConnection).message).toContain("no connection named '[Connection Name]' (connectionType 1 looks connectionName up among desktopflowconnections by name)");
    // A connection's name is not a reference's logical name.
    const noReference = await run(wfId, { runMode: 'attended', connectionName: 'c1', connectionType: 2 });
    expect(noReference.status).toBe(400);
    expect(apiError(noReference).message).toContain("no connection reference with logical name 'c1' (connectionType 2");

    const contradicted = await run(wfId, { runMode: 'unattended', connectionName: 'c1', machineGroupId: otherGroup });
    expect(contradicted.status).toBe(400);
    expect(apiError(contradicted)).toMatchObject({ reason: 'ConnectionContradicted' });
    expect(apiError(contradicted).message).toContain(`machineGroupId '${otherGroup}' contradicts connection 'c1', which runs with machineGroupId '${groupId}'`);
    const otherUser = await run(wfId, { runMode: 'unattended', connectionName: 'c1', sessionUser: 'bob' });
    expect(apiError(otherUser).message).toContain("sessionUser 'bob' contradicts connection 'c1'");
    const machineToo = await run(wfId, { runMode: 'unattended', connectionName: 'c1', machineId: '00000000-0000-4000-8000-000000000001' });
    expect(apiError(machineToo).message).toContain("contradicts connection 'c1', which runs with no machineId");
    const badType = await run(wfId, { runMode: 'attended', connectionName: 'c', connectionType: 3, machineGroupId: groupId });
    expect(badType.status).toBe(400);
    expect(apiError(badType).message).toContain('connectionType');
    expect((await run(wfId, { runMode: 'attended', connectionType: 1, machineGroupId: groupId })).status).toBe(200);
    expect((await o.api('GET', 'flowsessions/$count')).text).toBe('5');
  });

  it('a callback URL the callback policy refuses is a 400 at once, and nothing is queued', async () => {
    const { groupId, wfId } = await start();
    receiver = await CallbackReceiver.start();
    const cases: [string, string][] = [
      [receiver.url('/cb'), 'http is allowed only for allow-listed hosts'],
      [receiver.url('/cb').replace('http:', 'https:'), 'a loopback address; allow-list the host (--callback-allow)'],
      ['https://169.254.169.254/latest', 'a metadata address'],
      ['https://169.254.10.1/cb', 'a link-local address'],
      ['https://metadata.google.internal/x', 'metadata host'],
    ];
    for (const [callbackUrl, text] of cases) {
      const res = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, callbackUrl });
      expect(res.status, callbackUrl).toBe(400);
      expect(apiError(res), callbackUrl).toMatchObject({ code: 'CallbackUrlRefused', reason: 'CallbackUrlRefused' });
      expect(apiError(res).message, callbackUrl).toContain(text);
    }
    const target = { _regardingobjectid_value: wfId, _machinegroupid_value: groupId, callbackurl: receiver.url('/cb') };
    const post = await o.api('POST', 'flowsessions', target);
    expect(post.status).toBe(400);
    expect(apiError(post).reason).toBe('CallbackUrlRefused');
    const bulk = await o.api('POST', 'flowsessions/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [{ ...target, callbackurl: 'https://callback.invalid/ok' }, target] }, { prefer: 'respond-async' });
    expect(bulk.status).toBe(400);
    expect(apiError(bulk).message).toContain('CreateMultiple Targets[1].callbackurl');
    expect((await o.api('GET', 'flowsessions/$count')).text).toBe('0');
    expect(receiver.requests).toHaveLength(0);
  });

  it('an allow-listed callback host is accepted (the orchestrator takes the agent setting --callback-allow)', async () => {
    const { groupId, wfId } = await start(['127.0.0.1']);
    receiver = await CallbackReceiver.start();
    const res = await run(wfId, { runMode: 'unattended', machineGroupId: groupId, callbackUrl: receiver.url('/cb') });
    expect(res.status, res.text).toBe(200);
    // A name that does not resolve now is not refused: the sender retries it like a network error.
    expect((await run(wfId, { runMode: 'unattended', machineGroupId: groupId, callbackUrl: 'https://callback.invalid/cb' })).status).toBe(200);
  });
});

describe('TriggerDesktopFlowRunCallback as documented', () => {
  it("answers TriggerDesktopFlowRunCallbackResponse with the receiver's status, and sends Dataverse's headers, the same on every attempt", async () => {
    const { groupId, wfId } = await start(['127.0.0.1']);
    // The first (the orchestrator's own, at cancel) succeeds; the re-send is answered 503, then 200 on its retry.
    receiver = await CallbackReceiver.start((n) => (n === 1 ? 503 : 200));
    const id = (await run(wfId, { runMode: 'unattended', machineGroupId: groupId, callbackUrl: receiver.url('/cb') })).json.flowsessionId as string;
    await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
    await waitFor(() => receiver!.requests.length === 1, { what: 'the callback of the cancelled session' });
    const res = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ '@odata.context': `${ROOT()}/$metadata#Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallbackResponse`, callbackHttpResponseCode: 503 });
    await waitFor(() => receiver!.requests.length === 3, { what: 'the retry of the 503', timeoutMs: 20_000 });
    for (const r of receiver.requests) {
      expect(r.headers).toMatchObject({
        'user-agent': 'EnterpriseConnectors/1.0',
        'content-type': 'application/json; charset=utf-8',
        'x-ms-workflow-id': wfId,
        'x-ms-run-id': id,
        'idempotency-key': id,
      });
      expect(r.body).toBe(receiver.requests[0]!.body);
    }
  });

  it('a callback URL refused by the policy now is a 409 and nothing is sent', async () => {
    const dataDir = tempDir();
    const { groupId, wfId } = await start(['127.0.0.1'], dataDir);
    receiver = await CallbackReceiver.start();
    const id = (await run(wfId, { runMode: 'unattended', machineGroupId: groupId, callbackUrl: receiver.url('/cb') })).json.flowsessionId as string;
    await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
    await waitFor(() => receiver!.requests.length === 1, { what: 'the callback of the cancelled session' });
    await o.close();
    // The same data dir without the allow-list: the stored URL is refused now.
    o = await startTestOrchestrator({ dataDir, gateway: { queueTickMs: 20 } });
    const res = await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(res.status, res.text).toBe(409);
    expect(apiError(res)).toMatchObject({ reason: 'CallbackUrlRefused' });
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('error bodies', () => {
  it("carry Dataverse's code where it has one, flowhost's reason beside it", async () => {
    const { wfId } = await start();
    const missing = await o.api('GET', 'workflows(00000000-0000-4000-8000-000000000001)');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      error: { code: '0x80040217', message: 'workflow with id 00000000-0000-4000-8000-000000000001 does not exist', innererror: { code: 'NotFound' } },
    });
    const duplicate = await o.api('POST', 'flowmachinegroups', { name: 'g1', password: 'another-password-1' });
    expect(duplicate.status).toBe(409);
    expect(apiError(duplicate)).toMatchObject({ code: '0x80040237', reason: 'Conflict' });
    expect(apiError(await o.api('GET', 'Account'))).toMatchObject({ code: '0x8006088a', reason: 'UnknownEntitySet' });
    expect(apiError(await o.api('POST', `workflows(${wfId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'sometimes' }))).toMatchObject({
      code: 'InvalidRequest',
      reason: 'InvalidRequest',
    });
  });
});
