import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
beforeAll(async () => {
  o = await startTestOrchestrator();
});
afterAll(async () => {
  await o?.close();
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);

async function get(path: string, init: { method?: string; token?: string } = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${o.url}/api/data/v9.2/${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${init.token ?? o.token}` } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
const errorOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { error: { code: string; message: string; innererror?: { reason?: string } } }).error;

describe('flowsessions(<id>)/screenshot/$value', () => {
  it('serves a stored picture byte for byte as image/png; HEAD too; only with the admin token; GET only', async () => {
    const wf = await o.workflow();
    const id = await o.session(String(wf['workflowid']), {});
    await o.store.screenshots.put({ flowsessionid: id, takenon: '2030-01-01T00:00:00.000Z', png: PNG });
    const ok = await get(`flowsessions(${id.toUpperCase()})/screenshot/$value`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('x-ms-file-name')).toBe(`screenshot-${id}.png`);
    expect(ok.body).toEqual(PNG);
    expect((await get(`flowsessions(${id})/screenshot/$value`, { method: 'HEAD' })).status).toBe(200);
    expect((await get(`flowsessions(${id})/screenshot/$value`, { token: 'wrong' })).status).toBe(401);
    expect((await get(`flowsessions(${id})/screenshot/$value`, { method: 'DELETE' })).status).toBe(405);
  });

  it('404 in Dataverse shape: a session without a picture, a missing session, another column or set', async () => {
    const wf = await o.workflow();
    const id = await o.session(String(wf['workflowid']), {});
    const none = await get(`flowsessions(${id})/screenshot/$value`);
    expect(none.status).toBe(404);
    expect(errorOf(none.body)).toMatchObject({ code: '0x80040217', message: expect.stringContaining('has no screenshot') });
    const missing = await get('flowsessions(00000000-0000-4000-8000-000000000009)/screenshot/$value');
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body)).toMatchObject({ code: '0x80040217', message: expect.stringContaining('does not exist') });
    for (const path of [`flowsessions(${id})/outputs/$value`, `workflows(${String(wf['workflowid'])})/screenshot/$value`]) {
      const other = await get(path);
      expect(other.status).toBe(404);
      expect(errorOf(other.body).code).toBe('0x8006088a');
    }
  });
});
