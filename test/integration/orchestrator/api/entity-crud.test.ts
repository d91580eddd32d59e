import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { apiError, commandFlow, createGroup, createMachine, createWorkflow, entityId, GROUP_PASSWORD } from './api-fixtures.js';

let o: TestOrchestrator;
beforeEach(async () => {
  o = await startTestOrchestrator();
});
afterEach(async () => {
  await o.close();
});

describe('flowmachinegroups', () => {
  it('creates with name + password, stores only a hash, never returns the password', async () => {
    const res = await o.api('POST', 'flowmachinegroups', { name: 'g1', password: GROUP_PASSWORD }, { prefer: 'return=representation' });
    expect(res.status).toBe(201);
    expect(res.headers.get('odata-entityid')).toMatch(new RegExp(`^${o.url}/api/data/v9.2/flowmachinegroups\\([0-9a-f-]{36}\\)$`));
    expect(res.json).toMatchObject({ name: 'g1', statecode: 0, preferredqueuingtype: 1, '@odata.etag': 'W/"1"' });
    expect(res.json.callbacksecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(res.text).not.toContain(GROUP_PASSWORD);
    expect(res.json).not.toHaveProperty('password');
    expect(res.json).not.toHaveProperty('passwordhash');
    const row = (await o.running.store.groups.get(res.json.flowmachinegroupid))!;
    expect(String(row['passwordhash'])).toMatch(/^scrypt\$/);
    expect(row['password']).toBeNull();
  });

  it('refuses a duplicate name with 409 and a missing password with 400', async () => {
    await createGroup(o, 'g1');
    const dup = await o.api('POST', 'flowmachinegroups', { name: 'G1', password: GROUP_PASSWORD });
    expect(dup.status).toBe(409);
    const missing = await o.api('POST', 'flowmachinegroups', { name: 'g2' });
    expect(missing.status).toBe(400);
    expect(apiError(missing).message).toContain("missing required property 'password'");
  });

  it('PATCH changes the password (agents must use the new one), DELETE of a group with machines is 409', async () => {
    const id = await createGroup(o);
    await createMachine(o);
    expect((await o.api('PATCH', `flowmachinegroups(${id})`, { password: 'another-password' })).status).toBe(204);
    const refused = await fetch(`${o.url}/agent/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ group: 'g1', password: GROUP_PASSWORD, name: 'm2' }) });
    expect(refused.status).toBe(401);
    const del = await o.api('DELETE', `flowmachinegroups(${id})`);
    expect(del.status).toBe(409);
    expect(apiError(del).code).toBe('GroupNotEmpty');
  });
});

describe('workflows', () => {
  it('full CRUD with ETags: GET, PATCH with If-Match, 412 on a stale ETag, DELETE', async () => {
    const id = await createWorkflow(o, { inputschema: JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } } }) });
    const got = await o.api('GET', `workflows(${id})`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ workflowid: id, name: 'wf', category: 6, '@odata.etag': 'W/"1"' });
    expect(got.json['@odata.context']).toBe(`${o.url}/api/data/v9.2/$metadata#workflows/$entity`);
    const patched = await o.api('PATCH', `workflows(${id})`, { name: 'wf2' }, { 'if-match': 'W/"1"', prefer: 'return=representation' });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: 'wf2', '@odata.etag': 'W/"2"' });
    const stale = await o.api('PATCH', `workflows(${id})`, { name: 'wf3' }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(apiError(stale).code).toBe('PreconditionFailed');
    expect((await o.api('GET', `workflows(${id})`)).json.name).toBe('wf2');
    expect((await o.api('PATCH', `workflows(${id})`, { name: 'wf4' }, { 'if-match': '*' })).status).toBe(204);
    expect((await o.api('DELETE', `workflows(${id})`, undefined, { 'if-match': 'W/"1"' })).status).toBe(412);
    expect((await o.api('DELETE', `workflows(${id})`)).status).toBe(204);
    expect((await o.api('GET', `workflows(${id})`)).status).toBe(404);
    expect((await o.api('PATCH', `workflows(${id})`, { name: 'x' }, { 'if-match': '*' })).status).toBe(404);
  });

  it('If-None-Match on GET: 304 with the ETag while the version matches, 200 once changed or with annotations', async () => {
    const id = await createWorkflow(o);
    const same = await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': 'W/"1"' });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.headers.get('etag')).toBe('W/"1"');
    expect((await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': '"1"' })).status).toBe(304);
    const annotated = await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': 'W/"1"', prefer: 'odata.include-annotations="*"' });
    expect(annotated.status).toBe(200);
    expect((await o.api('GET', `workflows(${id})?$expand=ownerid`, undefined, { 'if-none-match': 'W/"1"' })).status).toBe(400);
    expect((await o.api('PATCH', `workflows(${id})`, { name: 'wf2' })).status).toBe(204);
    const changed = await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': 'W/"1"' });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ name: 'wf2', '@odata.etag': 'W/"2"' });
    expect((await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': 'W/"7", W/"2"' })).status).toBe(304);
    expect((await o.api('GET', `workflows(${id})`, undefined, { 'if-none-match': 'tuesday' })).status).toBe(400);
  });

  it('If-None-Match: * on PATCH → 412 when the record exists, nothing changed', async () => {
    const id = await createWorkflow(o);
    const refused = await o.api('PATCH', `workflows(${id})`, { name: 'no' }, { 'if-none-match': '*' });
    expect(refused.status).toBe(412);
    expect(apiError(refused).code).toBe('PreconditionFailed');
    expect((await o.api('GET', `workflows(${id})`)).json).toMatchObject({ name: 'wf', '@odata.etag': 'W/"1"' });
  });

  it('PATCH of a missing id creates it (upsert, create-only category accepted) unless If-Match: *', async () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const created = await o.api('PATCH', `workflows(${id})`, { name: 'upserted', category: 6, clientdata: commandFlow() });
    expect(created.status, created.text).toBe(204);
    expect(created.headers.get('odata-entityid')).toBe(`${o.url}/api/data/v9.2/workflows(${id})`);
    expect((await o.api('GET', `workflows(${id})`)).json).toMatchObject({ workflowid: id, name: 'upserted', category: 6, '@odata.etag': 'W/"1"' });
    const updated = await o.api('PATCH', `workflows(${id})`, { name: 'again' }, { prefer: 'return=representation' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ name: 'again', '@odata.etag': 'W/"2"' });
    const other = 'c9bf9e57-1685-4c89-bafb-ff5af830be8a';
    expect((await o.api('PATCH', `workflows(${other})`, { name: 'nope', clientdata: commandFlow() }, { 'if-match': '*' })).status).toBe(404);
    const represented = await o.api('PATCH', `workflows(${other})`, { name: 'second', clientdata: commandFlow() }, { prefer: 'return=representation', 'if-none-match': '*' });
    expect(represented.status, represented.text).toBe(201);
    expect(represented.json).toMatchObject({ workflowid: other, name: 'second', '@odata.etag': 'W/"1"' });
    expect((await o.api('PATCH', 'flowmachines(5b2c3f4e-8d7a-4b1c-9e2f-1a2b3c4d5e6f)', { name: 'x' })).status).toBe(404);
  });

  it('refuses clientdata that is not a flow definition and schemas that are not JSON Schemas', async () => {
    const notJson = await o.api('POST', 'workflows', { name: 'w', clientdata: '{' });
    expect(notJson.status).toBe(400);
    expect(apiError(notJson).message).toContain('clientdata is not valid JSON');
    const badKind = await o.api('POST', 'workflows', { name: 'w', clientdata: JSON.stringify({ schemaversion: 1, kind: 'rocket' }) });
    expect(badKind.status).toBe(400);
    expect(apiError(badKind).message).toContain('clientdata is not a valid flow definition');
    const badSchema = await o.api('POST', 'workflows', { name: 'w', clientdata: commandFlow(), inputschema: JSON.stringify({ type: 'nonsense' }) });
    expect(badSchema.status).toBe(400);
    expect(apiError(badSchema).message).toContain('inputschema');
    const patch = await o.api('PATCH', `workflows(${await createWorkflow(o)})`, { outputschema: '[1' });
    expect(patch.status).toBe(400);
  });
});

describe('flowmachines', () => {
  it('has no POST (405 + Allow); PATCH statecode 2 → Maintenance/ManualMaintenance and back; DELETE', async () => {
    await createGroup(o);
    const id = await createMachine(o);
    const post = await o.api('POST', 'flowmachines', { name: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect((await o.api('PATCH', `flowmachines(${id})`, { statecode: 2 })).status).toBe(204);
    expect((await o.api('GET', `flowmachines(${id})?$select=statecode,statuscode`)).json).toMatchObject({ statecode: 2, statuscode: 4 });
    const back = await o.api('PATCH', `flowmachines(${id})`, { statecode: 0 }, { prefer: 'return=representation' });
    expect(back.json.statecode).toBe(0);
    // Not connected: the gateway shows it offline (Inactive) rather than Active.
    expect((await o.api('GET', `flowmachines(${id})`)).json.statuscode).toBe(2);
    expect(back.json).not.toHaveProperty('credentialhash');
    const bad = await o.api('PATCH', `flowmachines(${id})`, { statecode: 2, statuscode: 1 });
    expect(bad.status).toBe(400);
    expect((await o.api('DELETE', `flowmachines(${id})`)).status).toBe(204);
    expect((await o.api('GET', 'flowmachines/$count')).text).toBe('0');
  });
});

describe('read-only sets', () => {
  it('flowlogs and backgroundoperations refuse writes with 405 and an Allow header', async () => {
    for (const set of ['flowlogs', 'backgroundoperations']) {
      const res = await o.api('POST', set, {});
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
      expect(apiError(res).code).toBe('MethodNotAllowed');
      const id = '00000000-0000-4000-8000-000000000001';
      const del = await o.api('DELETE', `${set}(${id})`);
      expect(del.status).toBe(405);
      expect((await o.api('PATCH', `${set}(${id})`, {})).status).toBe(405);
    }
  });
});

describe('lookups on create', () => {
  it('accepts _x_value and x@odata.bind, and refuses targets that do not exist', async () => {
    const groupId = await createGroup(o);
    const wfId = await createWorkflow(o);
    const bound = await o.api('POST', 'flowsessions', { 'regardingobjectid@odata.bind': `/workflows(${wfId})`, 'machinegroupid@odata.bind': `/flowmachinegroups(${groupId})` });
    expect(bound.status, bound.text).toBe(204);
    const session = (await o.api('GET', `flowsessions(${entityId(bound.headers)})`)).json;
    expect(session).toMatchObject({ _regardingobjectid_value: wfId, _machinegroupid_value: groupId, statuscode: 3, statecode: 0, name: 'wf' });
    const plain = await o.api('POST', 'flowsessions', { _regardingobjectid_value: wfId, _machinegroupid_value: groupId });
    expect(plain.status).toBe(204);
    const missing = await o.api('POST', 'flowsessions', { _regardingobjectid_value: wfId, _machinegroupid_value: '00000000-0000-4000-8000-000000000009' });
    expect(missing.status).toBe(400);
    expect(apiError(missing).message).toContain('_machinegroupid_value 00000000-0000-4000-8000-000000000009 does not exist');
    const wrongSet = await o.api('POST', 'flowsessions', { 'regardingobjectid@odata.bind': `/flowmachines(${wfId})`, _machinegroupid_value: groupId });
    expect(wrongSet.status).toBe(400);
    const unknownNav = await o.api('POST', 'flowsessions', { 'nothing@odata.bind': `/workflows(${wfId})` });
    expect(apiError(unknownNav).message).toContain("unknown navigation property 'nothing'");
  });
});
