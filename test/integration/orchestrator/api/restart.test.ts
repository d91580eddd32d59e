import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../../orchestrator/store/store.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { tempDir as newTempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';
import { commandFlow, createGroup, createWorkflow, runFlow } from './api-fixtures.js';

let o: TestOrchestrator | undefined;
afterEach(async () => {
  await o?.close();
  o = undefined;
});

const tempDir = () => newTempDir('flowhost-restart-');

describe('restart', () => {
  it('keeps every record, ETag and the generated admin token (0600)', async () => {
    const dataDir = tempDir();
    o = await startTestOrchestrator({ dataDir, adminToken: undefined, env: {} });
    expect(o.running.adminTokenGenerated).toBe(true);
    const file = join(dataDir, 'admin-token');
    expect(o.running.adminTokenFile).toBe(file);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(o.token);
    const token = o.token;
    const groupId = await createGroup(o);
    const wfId = await createWorkflow(o);
    const sessionId = await runFlow(o, wfId, { machineGroupId: groupId });
    await o.api('PATCH', `workflows(${wfId})`, { description: 'changed' });
    const before = await Promise.all(['flowmachinegroups', 'workflows', 'flowsessions', 'flowlogs'].map(async (s) => (await o!.api('GET', `${s}?$orderby=createdon`)).json.value));
    await o.restart();
    expect(o.token).toBe(token);
    expect(o.running.adminTokenGenerated).toBe(false);
    const after = await Promise.all(['flowmachinegroups', 'workflows', 'flowsessions', 'flowlogs'].map(async (s) => (await o!.api('GET', `${s}?$orderby=createdon`)).json.value));
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2].map((s: { flowsessionid: string }) => s.flowsessionid)).toEqual([sessionId]);
    expect(after[3].length).toBeGreaterThanOrEqual(before[3].length);
    const stale = await o.api('PATCH', `workflows(${wfId})`, { name: 'x' }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
  });

  it('answers WhoAmI with the same ids after a restart', async () => {
    o = await startTestOrchestrator({ dataDir: tempDir() });
    const before = (await o.api('GET', 'WhoAmI')).json;
    expect(before.UserId).toMatch(/^[0-9a-f-]{36}$/);
    await o.restart();
    expect((await o.api('GET', 'WhoAmI')).json).toEqual(before);
  });

  it('takes the token from FLOWHOST_ADMIN_TOKEN before the file', async () => {
    const dataDir = tempDir();
    o = await startTestOrchestrator({ dataDir, adminToken: undefined, env: { FLOWHOST_ADMIN_TOKEN: 'env-token-0123456789abcdef' } });
    expect(o.token).toBe('env-token-0123456789abcdef');
    expect(o.running.adminTokenFile).toBeUndefined();
    expect((await o.api('GET', 'workflows')).status).toBe(200);
  });

  it('resumes a respond-async operation that a stop interrupted', async () => {
    const dataDir = tempDir();
    o = await startTestOrchestrator({ dataDir });
    await o.running.close();
    // What a crash between "operation recorded" and "operation done" leaves behind.
    const store = await openStore(o.storeLocation);
    const op = await store.operations.insert({
      name: 'bulk:CreateMultiple:workflows',
      statecode: 2,
      statuscode: 20,
      retrycount: 0,
      inputparameters: JSON.stringify({ set: 'workflows', action: 'CreateMultiple', body: { Targets: [{ name: 'resumed', clientdata: commandFlow() }] } }),
    });
    await store.close();
    const id = String(op['backgroundoperationid']);
    o = await startTestOrchestrator({ dataDir });
    const done = await waitFor(async () => {
      const body = (await o!.api('GET', `/api/backgroundoperation/${id}`)).json;
      return body.statecode === 3 ? body : undefined;
    }, { what: 'resumed operation completed' });
    expect(done).toMatchObject({ statuscode: 30, retrycount: 1 });
    expect((await o.api('GET', "workflows?$filter=name eq 'resumed'")).json.value).toHaveLength(1);
  });
});
