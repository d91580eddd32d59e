import { afterEach, describe, expect, it } from 'vitest';
import { desktopflowconnectionEntity } from '../../../../shared/records/index.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { waitFor } from '../../../support/wait-for.js';
import { apiError, commandFlow, createGroup, createMachine } from './api-fixtures.js';

/** flowhost's desktopflowconnections, Dataverse's connectionreferences, and backgroundoperations written as seed 002 lists. */
let o: TestOrchestrator | undefined;
afterEach(async () => {
  await o?.close();
  o = undefined;
});

const CREDENTIAL = 'Credential-Of-The-Robot-7';

describe('desktopflowconnections and connectionreferences', () => {
  it('a connection binds one machine group or machine and keeps its credential write-only', async () => {
    o = await startTestOrchestrator();
    const groupId = await createGroup(o);
    const machineId = await createMachine(o);
    const created = await o.api('POST', 'desktopflowconnections', { name: 'c1', 'MachineGroupId@odata.bind': `/flowmachinegroups(${groupId})`, sessionusername: 'robot', password: CREDENTIAL }, { prefer: 'return=representation' });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ name: 'c1', _machinegroupid_value: groupId, _machineid_value: null, sessionusername: 'robot' });
    const id = String(created.json.connectionid);
    const reads = [created.text, (await o.api('GET', `desktopflowconnections(${id})`)).text, (await o.api('GET', 'desktopflowconnections')).text];
    for (const text of reads) {
      expect(text).not.toContain(CREDENTIAL);
      expect(text).not.toContain('passwordhash');
      expect(text).not.toContain('"password"');
    }
    expect((await o.api('GET', `desktopflowconnections(${id})?$select=password`)).status).toBe(400);
    const stored = await o.store.records.get(desktopflowconnectionEntity, id);
    expect(String(stored?.['passwordhash'])).toMatch(/^scrypt\$/);

    const both = await o.api('POST', 'desktopflowconnections', { name: 'c2', _machinegroupid_value: groupId, _machineid_value: machineId, sessionusername: 'robot' });
    expect(apiError(both).message).toContain('exactly one of MachineGroupId or MachineId');
    const none = await o.api('POST', 'desktopflowconnections', { name: 'c2', sessionusername: 'robot' });
    expect(none.status).toBe(400);
    const missingGroup = await o.api('POST', 'desktopflowconnections', { name: 'c2', _machinegroupid_value: '00000000-0000-4000-8000-000000000001', sessionusername: 'robot' });
    expect(apiError(missingGroup).reason).toBe('LookupNotFound');
    expect((await o.api('POST', 'desktopflowconnections', { name: 'C1', _machineid_value: machineId, sessionusername: 'x' })).status).toBe(409);
    // Moved to a machine: the group is cleared in the same PATCH, or the PATCH is refused.
    expect((await o.api('PATCH', `desktopflowconnections(${id})`, { 'MachineId@odata.bind': `/flowmachines(${machineId})` })).status).toBe(400);
    const moved = await o.api('PATCH', `desktopflowconnections(${id})`, { _machinegroupid_value: null, 'MachineId@odata.bind': `/flowmachines(${machineId})`, password: 'another-credential' });
    expect(moved.status, moved.text).toBe(204);
    expect((await o.api('GET', `desktopflowconnections(${id})`)).json).toMatchObject({ _machinegroupid_value: null, _machineid_value: machineId });
  });

  it('a reference names an existing connection; a referenced connection cannot be deleted', async () => {
    o = await startTestOrchestrator();
    const groupId = await createGroup(o);
    const conn = await o.api('POST', 'desktopflowconnections', { name: 'c1', _machinegroupid_value: groupId, sessionusername: 'robot' }, { prefer: 'return=representation' });
    const connectionId = String(conn.json.connectionid);
    const dangling = await o.api('POST', 'connectionreferences', { connectionreferencelogicalname: 'new_robot', connectionid: 'shared-uiflow-1' });
    expect(apiError(dangling)).toMatchObject({ reason: 'LookupNotFound' });
    const ref = await o.api('POST', 'connectionreferences', { connectionreferencelogicalname: 'new_robot', connectionreferencedisplayname: 'Robot', connectionid: connectionId.toUpperCase() }, { prefer: 'return=representation' });
    expect(ref.status, ref.text).toBe(201);
    expect(ref.json).toMatchObject({ connectionreferencelogicalname: 'new_robot', connectionid: connectionId });
    expect((await o.api('POST', 'connectionreferences', { connectionreferencelogicalname: 'NEW_robot' })).status).toBe(409);
    expect((await o.api('PATCH', `connectionreferences(${String(ref.json.connectionreferenceid)})`, { connectionreferencelogicalname: 'other' })).status).toBe(400);
    const inUse = await o.api('DELETE', `desktopflowconnections(${connectionId})`);
    expect(inUse.status).toBe(409);
    expect(apiError(inUse)).toMatchObject({ reason: 'ConnectionInUse' });
    expect(apiError(inUse).message).toContain('new_robot');
    expect((await o.api('DELETE', `connectionreferences(${String(ref.json.connectionreferenceid)})`)).status).toBe(204);
    expect((await o.api('DELETE', `desktopflowconnections(${connectionId})`)).status).toBe(204);
  });
});

describe('backgroundoperations: POST GET PATCH DELETE (seed 002)', () => {
  it("POST records an operation Ready / Waiting For Resources; PATCH to Canceling cancels it; DELETE removes it; flowhost's own names are refused", async () => {
    o = await startTestOrchestrator();
    const res = await o.api('POST', 'backgroundoperations', { name: 'import', displayname: 'Nightly import', partitionid: 'p1', inputparameters: '{"a":1}', ttlinseconds: 600 }, { prefer: 'return=representation' });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ name: 'import', displayname: 'Nightly import', partitionid: 'p1', ttlinseconds: 600, retrycount: 0, backgroundoperationstatecode: 0, backgroundoperationstatuscode: 0 });
    expect(res.json).not.toHaveProperty('statecode');
    const id = String(res.json.backgroundoperationid);
    const annotated = await o.api('GET', `backgroundoperations(${id})`, undefined, { prefer: 'odata.include-annotations="*"' });
    expect(annotated.json['backgroundoperationstatuscode@OData.Community.Display.V1.FormattedValue']).toBe('Waiting For Resources');

    const other = await o.api('PATCH', `backgroundoperations(${id})`, { backgroundoperationstatuscode: 30 });
    expect(apiError(other)).toMatchObject({ reason: 'InvalidStateTransition' });
    const cancel = await o.api('PATCH', `backgroundoperations(${id})`, { backgroundoperationstatuscode: 22 }, { prefer: 'return=representation' });
    expect(cancel.status, cancel.text).toBe(200);
    expect(cancel.json).toMatchObject({ backgroundoperationstatecode: 3, backgroundoperationstatuscode: 32, endtime: expect.any(String) });
    expect((await o.api('PATCH', `backgroundoperations(${id})`, { backgroundoperationstatuscode: 22 })).status).toBe(204);
    expect((await o.api('PATCH', `backgroundoperations(${id})`, { displayname: 'renamed' })).status).toBe(204);
    expect((await o.api('DELETE', `backgroundoperations(${id})`)).status).toBe(204);
    expect((await o.api('GET', `backgroundoperations(${id})`)).status).toBe(404);

    for (const name of ['bulk:CreateMultiple:workflows', 'Callback 1']) {
      const reserved = await o.api('POST', 'backgroundoperations', { name });
      expect(apiError(reserved)).toMatchObject({ reason: 'ReservedName' });
    }
    expect((await o.api('POST', 'backgroundoperations', { name: 'x', backgroundoperationstatecode: 3 })).status).toBe(400);
  });

  it('a bulk operation canceled before it ran never runs; one running can be neither canceled nor deleted', async () => {
    o = await startTestOrchestrator();
    // What a stop between "operation recorded" and "operation run" leaves behind: the next start would run them.
    const bulk = async (state: number, status: number, name: string) =>
      String(
        (
          await o!.store.operations.insert({
            name: 'bulk:CreateMultiple:workflows',
            backgroundoperationstatecode: state,
            backgroundoperationstatuscode: status,
            retrycount: 0,
            inputparameters: JSON.stringify({ set: 'workflows', action: 'CreateMultiple', body: { Targets: [{ name, clientdata: commandFlow() }] } }),
          })
        ).backgroundoperationid,
      );
    const waiting = await bulk(0, 0, 'canceled');
    const started = await bulk(2, 20, 'started');
    const cancel = await o.api('PATCH', `backgroundoperations(${waiting})`, { backgroundoperationstatuscode: 22 });
    expect(cancel.status, cancel.text).toBe(204);
    const notNow = await o.api('PATCH', `backgroundoperations(${started})`, { backgroundoperationstatuscode: 22 });
    expect(notNow.status).toBe(409);
    expect(apiError(notNow)).toMatchObject({ reason: 'OperationStarted' });
    expect(apiError(await o.api('DELETE', `backgroundoperations(${started})`))).toMatchObject({ reason: 'OperationStarted' });

    await o.restart();
    const done = await waitFor(async () => {
      const body = (await o!.api('GET', `backgroundoperations(${started})`)).json;
      return body.backgroundoperationstatecode === 3 ? body : undefined;
    }, { what: 'the started operation to be resumed and complete' });
    expect(done.backgroundoperationstatuscode).toBe(30);
    expect((await o.api('GET', `backgroundoperations(${waiting})`)).json).toMatchObject({ backgroundoperationstatecode: 3, backgroundoperationstatuscode: 32 });
    expect((await o.api('GET', 'workflows?$select=name')).json.value.map((w: { name: string }) => w.name)).toEqual(['started']);
  });
});
