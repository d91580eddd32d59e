import { DynamicsWebApi, type RequestError } from 'dynamics-web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver } from '../../../support/callback-receiver.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { waitFor } from '../../../support/wait-for.js';
import { commandFlow, createGroup, createWorkflow } from './api-fixtures.js';

/**
 * The documented desktop-flow calls through a real Dataverse client library from npm (dynamics-web-api), as a
 * Dataverse user's code makes them: only the server URL and the token differ.
 */
let o: TestOrchestrator;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await o?.close();
  await receiver?.close();
  receiver = undefined;
});

const client = () => new DynamicsWebApi({ serverUrl: o.url, dataApi: { version: '9.2' }, onTokenRefresh: () => Promise.resolve(o.token) });

/** What the client rejects with. */
async function failure(call: Promise<unknown>): Promise<RequestError & { innererror?: { code?: string } }> {
  try {
    await call;
  } catch (err) {
    return err as RequestError;
  }
  throw new Error('the call succeeded');
}

describe('dynamics-web-api against flowhost', () => {
  it('RunDesktopFlow with inputs as a JSON serialized string, TriggerDesktopFlowRunCallback, CancelDesktopFlowRun', async () => {
    o = await startTestOrchestrator({ gateway: { queueTickMs: 20, callbackAllowHosts: ['127.0.0.1'] } });
    receiver = await CallbackReceiver.start(() => 202);
    const groupId = await createGroup(o);
    const wfId = await createWorkflow(o, { name: 'Desktop flow 1' });
    const api = client();

    const run = await api.callAction<{ flowsessionId: string }>({
      collection: 'workflows',
      key: wfId,
      actionName: 'Microsoft.Dynamics.CRM.RunDesktopFlow',
      action: { runMode: 'attended', runPriority: 'normal', machineGroupId: groupId, timeout: 7200, inputs: '{"Input1":"Value", "Input2":"Value"}', callbackUrl: receiver.url('/cb') },
    });
    const id = run.flowsessionId;
    const session = await api.retrieve<Record<string, unknown>>({ collection: 'flowsessions', key: id, select: ['statuscode', 'statecode', 'runmode', 'timeout', 'inputs'] });
    expect(session).toMatchObject({ statuscode: 3, statecode: 0, runmode: 1, timeout: 7200 });
    expect(JSON.parse(String(session['inputs']))).toEqual({ Input1: 'Value', Input2: 'Value' });

    await api.callAction({ collection: 'flowsessions', key: id, actionName: 'Microsoft.Dynamics.CRM.CancelDesktopFlowRun' });
    await waitFor(() => receiver!.requests.length === 1, { what: 'the callback of the cancelled session' });
    const again = await api.callAction<{ callbackHttpResponseCode: number }>({ collection: 'flowsessions', key: id, actionName: 'Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback' });
    expect(again.callbackHttpResponseCode).toBe(202);
    expect(receiver.requests[1]!.headers).toMatchObject({ 'x-ms-workflow-id': wfId, 'x-ms-run-id': id, 'user-agent': 'EnterpriseConnectors/1.0' });
  });

  it("errors reach the client with Dataverse's code and flowhost's reason", async () => {
    o = await startTestOrchestrator();
    const groupId = await createGroup(o);
    const wfId = await createWorkflow(o);
    const api = client();
    const missing = await failure(api.retrieve({ collection: 'flowsessions', key: '00000000-0000-4000-8000-000000000001' }));
    expect(missing).toMatchObject({ status: 404, code: '0x80040217', innererror: { code: 'NotFound' } });
    const refused = await failure(
      api.callAction({ collection: 'workflows', key: wfId, actionName: 'Microsoft.Dynamics.CRM.RunDesktopFlow', action: { runMode: 'unattended', machineGroupId: groupId, callbackUrl: 'http://127.0.0.1:9/cb' } }),
    );
    expect(refused).toMatchObject({ status: 400, code: 'CallbackUrlRefused' });
    expect(refused.message).toContain('http is allowed only for allow-listed hosts');
  });

  it('a FetchXML query is refused with 400 naming fetchXml, not answered with every row', async () => {
    o = await startTestOrchestrator();
    await createWorkflow(o);
    const refused = await failure(client().fetch({ collection: 'workflows', fetchXml: '<fetch top="1"><entity name="workflow"><attribute name="name"/></entity></fetch>' }));
    expect(refused).toMatchObject({ status: 400, code: 'UnsupportedQueryParameter' });
    expect(refused.message).toContain("'fetchXml'");
  });

  it('retrieve with ifnonematch: no record while its ETag matches, the record once it changed', async () => {
    o = await startTestOrchestrator();
    const wfId = await createWorkflow(o);
    const api = client();
    const first = await api.retrieve<{ '@odata.etag': string; name: string }>({ collection: 'workflows', key: wfId, select: ['name'] });
    const unchanged = await api.retrieve({ collection: 'workflows', key: wfId, select: ['name'], ifnonematch: first['@odata.etag'] });
    expect(unchanged).toBeFalsy();
    await api.update({ collection: 'workflows', key: wfId, data: { name: 'renamed' } });
    const changed = await api.retrieve<{ name: string }>({ collection: 'workflows', key: wfId, select: ['name'], ifnonematch: first['@odata.etag'] });
    expect(changed).toMatchObject({ name: 'renamed' });
  });

  it('upsert with ifnonematch "*" does not update an existing record (the client answers null on the 412)', async () => {
    o = await startTestOrchestrator();
    const wfId = await createWorkflow(o);
    const api = client();
    expect(await api.upsert({ collection: 'workflows', key: wfId, data: { name: 'overwritten' }, ifnonematch: '*' })).toBeNull();
    expect(await api.retrieve({ collection: 'workflows', key: wfId, select: ['name'] })).toMatchObject({ name: 'wf' });
  });

  it('upsert creates a missing record with its key; with ifmatch "*" it does not (the client answers null on the 404)', async () => {
    o = await startTestOrchestrator();
    const api = client();
    const key = '7d577253-3ef0-4a0a-bb7f-8335c2596e70';
    const created = await api.upsert<Record<string, unknown>>({ collection: 'workflows', key, data: { name: 'by upsert', category: 6, clientdata: commandFlow() }, returnRepresentation: true });
    expect(created).toMatchObject({ workflowid: key, name: 'by upsert' });
    const absent = '8e688364-4f01-4b1b-8c46-9446d3607f81';
    expect(await api.upsert({ collection: 'workflows', key: absent, data: { name: 'x', clientdata: commandFlow() }, ifmatch: '*' })).toBeNull();
    expect((await o.api('GET', `workflows(${absent})`)).status).toBe(404);
  });

  it('WhoAmI answers the WhoAmIResponse ids', async () => {
    o = await startTestOrchestrator();
    const me = await client().callFunction<{ BusinessUnitId: string; UserId: string; OrganizationId: string }>('WhoAmI');
    const guid = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(me).toMatchObject({ BusinessUnitId: guid, UserId: guid, OrganizationId: guid });
    expect(new Set([me.BusinessUnitId, me.UserId, me.OrganizationId]).size).toBe(3);
  });

  it('creates a connection and a connection reference, runs through each kind, and cancels a background operation by PATCH', async () => {
    o = await startTestOrchestrator();
    const groupId = await createGroup(o);
    const wfId = await createWorkflow(o, { name: 'Desktop flow 1' });
    const api = client();
    const connection = await api.create<Record<string, unknown>>({
      collection: 'desktopflowconnections',
      data: { name: 'Robot account', 'MachineGroupId@odata.bind': `/flowmachinegroups(${groupId})`, sessionusername: 'robot', password: 'Robot-credential-1' },
      returnRepresentation: true,
    });
    expect(connection).not.toHaveProperty('password');
    await api.create({ collection: 'connectionreferences', data: { connectionreferencelogicalname: 'new_robot', connectionreferencedisplayname: 'Robot', connectionid: connection['connectionid'] } });

    const runWith = (connectionName: string, connectionType: number) =>
      api.callAction<{ flowsessionId: string }>({
        collection: 'workflows',
        key: wfId,
        actionName: 'Microsoft.Dynamics.CRM.RunDesktopFlow',
        action: { runMode: 'attended', runPriority: 'normal', connectionName, connectionType, timeout: 7200, inputs: '{"Input1":"Value", "Input2":"Value"}' },
      });
    for (const [name, type] of [['new_robot', 2], ['Robot account', 1]] as const) {
      const { flowsessionId } = await runWith(name, type);
      const session = await api.retrieve<Record<string, unknown>>({ collection: 'flowsessions', key: flowsessionId, select: ['_machinegroupid_value', 'connectionid', 'sessionusername'] });
      expect(session).toMatchObject({ _machinegroupid_value: groupId, connectionid: connection['connectionid'], sessionusername: 'robot' });
    }
    const unknown = await failure(runWith('new_robot', 1));
    expect(unknown).toMatchObject({ status: 400, code: 'ConnectionNotFound' });
    expect(unknown.message).toContain('connectionType 1 looks connectionName up among desktopflowconnections');

    const op = await api.create<Record<string, unknown>>({ collection: 'backgroundoperations', data: { name: 'import', displayname: 'Import' }, returnRepresentation: true });
    expect(op).toMatchObject({ backgroundoperationstatecode: 0, backgroundoperationstatuscode: 0 });
    const id = String(op['backgroundoperationid']);
    await api.update({ collection: 'backgroundoperations', key: id, data: { backgroundoperationstatuscode: 22 } });
    const canceled = await api.retrieve<Record<string, unknown>>({ collection: 'backgroundoperations', key: id, select: ['backgroundoperationstatecode', 'backgroundoperationstatuscode'] });
    expect(canceled).toMatchObject({ backgroundoperationstatecode: 3, backgroundoperationstatuscode: 32 });
    await api.deleteRecord({ collection: 'backgroundoperations', key: id });
  });
});
