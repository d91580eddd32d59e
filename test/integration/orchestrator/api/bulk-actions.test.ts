import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { waitFor } from '../../../support/wait-for.js';
import { apiError, commandFlow } from './api-fixtures.js';

let o: TestOrchestrator;
beforeEach(async () => {
  o = await startTestOrchestrator();
});
afterEach(async () => {
  await o.close();
});

const wf = (name: string) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.workflow', name, clientdata: commandFlow() });
const count = async (set: string) => Number((await o.api('GET', `${set}/$count`)).text);

describe('CreateMultiple / UpdateMultiple / DeleteMultiple', () => {
  it('create, update and delete several records, answering their Ids in order', async () => {
    const created = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [wf('a'), wf('b'), wf('c')] });
    expect(created.status, created.text).toBe(200);
    const ids: string[] = created.json.Ids;
    expect(ids).toHaveLength(3);
    const names = (await o.api('GET', 'workflows?$orderby=name&$select=name')).json.value.map((r: { workflowid: string }) => r.workflowid);
    expect(names).toEqual(ids);
    const updated = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.UpdateMultiple', { Targets: ids.map((id, i) => ({ workflowid: id, description: `d${i}` })) });
    expect(updated.json).toEqual({ Ids: ids });
    expect((await o.api('GET', `workflows(${ids[2]})`)).json.description).toBe('d2');
    const deleted = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.DeleteMultiple', { Targets: [{ workflowid: ids[0] }] });
    expect(deleted.json).toEqual({ Ids: [ids[0]] });
    expect((await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.DeleteMultiple', { Ids: ids.slice(1) })).status).toBe(200);
    expect(await count('workflows')).toBe(0);
  });

  it('is all or nothing: one bad target → 400 naming its index, nothing written', async () => {
    const bad = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [wf('a'), wf('b'), { name: 'c', clientdata: '{}' }] });
    expect(bad.status).toBe(400);
    expect(apiError(bad).message).toContain('Targets[2]');
    expect(await count('workflows')).toBe(0);
    const ids = (await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [wf('a'), wf('b')] })).json.Ids as string[];
    const upd = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.UpdateMultiple', { Targets: [{ workflowid: ids[0], name: 'z' }, { workflowid: ids[1], colour: 'red' }] });
    expect(upd.status).toBe(400);
    expect(apiError(upd).message).toMatch(/Targets\[1\].*unknown property 'colour'/);
    expect((await o.api('GET', `workflows(${ids[0]})`)).json.name).toBe('a');
    const del = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.DeleteMultiple', { Ids: [ids[0], '00000000-0000-4000-8000-000000000000'] });
    expect(del.status).toBe(404);
    expect(apiError(del).message).toContain('Ids[1]');
    expect(await count('workflows')).toBe(2);
  });

  it('refuses bulk writes a set does not allow (405) and malformed bodies (400)', async () => {
    expect((await o.api('POST', 'flowlogs/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [{}] })).status).toBe(405);
    expect((await o.api('POST', 'flowmachines/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [{}] })).status).toBe(405);
    const empty = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [] });
    expect(empty.status).toBe(400);
    const noKey = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.UpdateMultiple', { Targets: [{ name: 'x' }] });
    expect(apiError(noKey).message).toContain("Targets[0]: each target needs its key 'workflowid'");
  });
});

describe('Prefer: respond-async', () => {
  it('answers 202 + Location of a backgroundoperation that completes Succeeded with the Ids', async () => {
    const res = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [wf('a'), wf('b')] }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${o.url}/api/backgroundoperation/[0-9a-f-]{36}$`));
    const id = location.split('/').pop()!;
    const op = await waitFor(async () => {
      const r = await fetch(location, { headers: { authorization: `Bearer ${o.token}` } });
      const body = (await r.json()) as Record<string, unknown>;
      return body['backgroundoperationstatecode'] === 3 ? body : undefined;
    }, { what: 'operation completed' });
    expect(op).toMatchObject({ backgroundoperationid: id, backgroundoperationstatecode: 3, backgroundoperationstatuscode: 30 });
    expect(op['starttime']).toEqual(expect.any(String));
    expect(op['endtime']).toEqual(expect.any(String));
    const ids = JSON.parse(String(op['outputparameters'])).Ids as string[];
    expect(ids).toHaveLength(2);
    expect(await count('workflows')).toBe(2);
    const viaSet = await o.api('GET', `backgroundoperations(${id})`);
    expect(viaSet.json.backgroundoperationstatuscode).toBe(30);
  });

  it('a failing async operation ends Failed with its error message and writes nothing', async () => {
    const res = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [wf('a'), { name: 'b' }] }, { prefer: 'respond-async' });
    const id = res.headers.get('location')!.split('/').pop()!;
    const op = await waitFor(async () => {
      const body = (await o.api('GET', `backgroundoperations(${id})`)).json;
      return body.backgroundoperationstatecode === 3 ? body : undefined;
    }, { what: 'operation completed' });
    expect(op.backgroundoperationstatuscode).toBe(31);
    expect(op.errormessage).toContain('Targets[1]');
    expect(await count('workflows')).toBe(0);
  });

  it('GET /api/backgroundoperation/<unknown> is 404', async () => {
    expect((await o.api('GET', '/api/backgroundoperation/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await o.api('GET', '/api/backgroundoperation/nope')).status).toBe(404);
  });
});
