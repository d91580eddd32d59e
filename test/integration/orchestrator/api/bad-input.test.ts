import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { apiError, commandFlow, createWorkflow } from './api-fixtures.js';

let o: TestOrchestrator;
beforeAll(async () => {
  o = await startTestOrchestrator({ bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await o.close();
});

/** `reason`: flowhost's own (innererror.code); the wire `code` is Dataverse's where it has one, else the same. */
const expectError = (res: { status: number; headers: Headers; json: unknown; text: string }, status: number, reason: string, text?: string) => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; odata.metadata=minimal');
  expect(res.headers.get('odata-version')).toBe('4.0');
  const err = apiError(res);
  expect(err.reason).toBe(reason);
  if (text) expect(err.message).toContain(text);
  return err;
};

describe('authentication', () => {
  it('401 + WWW-Authenticate without a token, with a wrong one, and on unknown routes', async () => {
    const none = await o.api('GET', 'flowsessions', undefined, { authorization: '' });
    expectError(none, 401, 'Unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await o.api('GET', 'flowsessions', undefined, { authorization: `Bearer ${o.token}x` });
    expectError(wrong, 401, 'Unauthorized');
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    expectError(await o.api('GET', 'flowsessions', undefined, { authorization: `Basic ${o.token}` }), 401, 'Unauthorized');
    expectError(await o.api('GET', '/elsewhere', undefined, { authorization: '' }), 401, 'Unauthorized');
    expectError(await o.api('GET', '/api/backgroundoperation/00000000-0000-4000-8000-000000000000', undefined, { authorization: '' }), 401, 'Unauthorized');
  });

  it('refuses a body before reading it when the token is wrong', async () => {
    expectError(await o.api('POST', 'workflows', 'x'.repeat(1000), { authorization: '' }), 401, 'Unauthorized');
  });
});

describe('bodies', () => {
  it('malformed JSON → 400 MalformedJson', async () => {
    expectError(await o.api('POST', 'workflows', '{"name": "x",'), 400, 'MalformedJson', 'not valid JSON');
  });

  it('wrong types and unknown fields → 400 naming the field', async () => {
    expectError(await o.api('POST', 'workflows', { name: 5, clientdata: commandFlow() }), 400, 'InvalidRequest', 'name must be string');
    expectError(await o.api('POST', 'workflows', { name: 'x', clientdata: commandFlow(), colour: 'red' }), 400, 'InvalidRequest', "unknown property 'colour'");
    expectError(await o.api('POST', 'workflows', { name: 'x', clientdata: commandFlow(), workflowid: '00000000-0000-4000-8000-000000000000' }), 400, 'InvalidRequest', "unknown property 'workflowid'");
    expectError(await o.api('POST', 'workflows', [1, 2]), 400, 'InvalidRequest', 'must be a JSON object');
    expectError(await o.api('POST', 'workflows', '{"name":"x","__proto__":{"statecode":1}}'), 400, 'InvalidRequest', '__proto__');
    expectError(await o.api('PATCH', `workflows(${await createWorkflow(o)})`, { category: 7 }), 400, 'InvalidRequest', 'category');
  });

  it('oversize bodies → 413, not a parse error', async () => {
    expectError(await o.api('POST', 'workflows', { name: 'x', clientdata: 'y'.repeat(100 * 1024) }), 413, 'PayloadTooLarge');
  });

  it('a body that is not JSON → 415; charset=utf-8 is fine', async () => {
    expectError(await o.api('POST', 'workflows', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UnsupportedMediaType');
    expectError(await o.api('POST', 'workflows', 'hello', { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType');
    const ok = await o.api('POST', 'workflows', { name: 'x', clientdata: commandFlow() }, { 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(204);
  });

  it('a missing body on POST/PATCH → 400', async () => {
    const res = await fetch(`${o.url}/api/data/v9.2/workflows`, { method: 'POST', headers: { authorization: `Bearer ${o.token}` } });
    expect(res.status).toBe(400);
  });
});

describe('routes and preconditions', () => {
  it('unknown set, unknown route → 404; wrong verb → 405; bad If-Match → 400', async () => {
    // Dataverse's "Resource not found for the segment" code beside flowhost's reason.
    expect(expectError(await o.api('GET', 'accounts'), 404, 'UnknownEntitySet').code).toBe('0x8006088a');
    expect(expectError(await o.api('GET', 'workflows/more/segments'), 404, 'NoResource').code).toBe('0x8006088a');
    expectError(await o.api('PUT', 'workflows', {}), 405, 'MethodNotAllowed');
    expectError(await o.api('DELETE', 'workflows'), 405, 'MethodNotAllowed');
    expectError(await o.api('POST', '$metadata', {}), 405, 'MethodNotAllowed');
    const id = await createWorkflow(o);
    expectError(await o.api('PATCH', `workflows(${id})`, { name: 'y' }, { 'if-match': 'yesterday' }), 400, 'InvalidIfMatch');
    // Microsoft's pages show this one with an empty code: flowhost's reason stays the code.
    expect(expectError(await o.api('PATCH', `workflows(${id})`, { name: 'y' }, { 'if-match': 'W/"99"' }), 412, 'PreconditionFailed').code).toBe('PreconditionFailed');
  });
});
