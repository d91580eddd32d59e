import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { startTestOrchestrator, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { expectClearError, rawRequest, type RawReply } from './support/hostile-api.js';

/**
 * Secrets never come back in an API error: bodies holding a group `password` or an input the workflow marks
 * `x-secret`, each wrong in a different way (schema, unknown field, too long, malformed JSON around the secret,
 * bad inputs text, a failing bulk item, respond-async). No answer, no stored background operation and no log line
 * (debug level) may contain the secret or any 6-character piece of it.
 */
const PASSWORD = 'Pw7q-Zx93-Kd4m-Lr8v';
const SECRET = 'sk_Qm2w-Hy6t-Bn5c-Xf1j';
const flow = JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] });
const inputschema = {
  type: 'object',
  properties: { apiKey: { type: 'string', 'x-secret': true, pattern: '^sk-', minLength: 40, maxLength: 50 }, count: { type: 'integer' } },
  required: ['apiKey', 'count'],
  additionalProperties: false,
};

let o: TestOrchestrator;
const logLines: string[] = [];
const id = { group: '', workflow: '' };
const answers: Array<{ what: string; res: RawReply }> = [];

const pieces = (secret: string): string[] => Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));
const leaks = (text: string): string[] => [...pieces(PASSWORD), ...pieces(SECRET)].filter((p) => text.includes(p));

async function send(what: string, method: string, path: string, body: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const res = await rawRequest(`${o.url}/api/data/v9.2/${path}`, method, { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', ...headers }, body);
  answers.push({ what, res });
  return res;
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
  o = await startTestOrchestrator({ logger });
  const create = async (set: string, body: unknown): Promise<string> => {
    const res = await rawRequest(`${o.url}/api/data/v9.2/${set}`, 'POST', { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', prefer: 'return=representation' }, JSON.stringify(body));
    expect(res.status, res.text).toBe(201);
    return String(res.json[`${set.slice(0, -1)}id`]);
  };
  id.group = await create('flowmachinegroups', { name: 'g1', password: PASSWORD });
  id.workflow = await create('workflows', { name: 'wf', clientdata: flow, inputschema: JSON.stringify(inputschema) });
});
afterAll(async () => o?.close());

const j = JSON.stringify;
const action = (name: string): string => `Microsoft.Dynamics.CRM.${name}`;

describe('hostile input: secrets never in API errors', () => {
  /** The id of the background operation created last. */
  const newestOperation = async (): Promise<string> =>
    String((await rawRequest(`${o.url}/api/data/v9.2/backgroundoperations?$select=backgroundoperationid&$orderby=createdon desc&$top=1`, 'GET', { authorization: `Bearer ${o.token}` })).json.value[0].backgroundoperationid);

  /** The status monitor's answer once the operation is Completed. */
  const operationDone = (op: string) =>
    waitFor(
      async () => {
        const r = await rawRequest(`${o.url}/api/backgroundoperation/${op}`, 'GET', { authorization: `Bearer ${o.token}` });
        return r.json?.backgroundoperationstatecode === 3 ? r : undefined;
      },
      { what: `background operation ${op} to complete` },
    );

  it('a group password in a refused body is never echoed', async () => {
    const bad: Array<[string, string, string, string]> = [
      ['empty name', 'POST', 'flowmachinegroups', j({ name: '', password: PASSWORD })],
      ['name of the wrong type', 'POST', 'flowmachinegroups', j({ name: 5, password: PASSWORD })],
      ['unknown field', 'POST', 'flowmachinegroups', j({ name: 'g2', password: PASSWORD, colour: 'red' })],
      ['password too long', 'POST', 'flowmachinegroups', j({ name: 'g2', password: PASSWORD.repeat(20) })],
      ['password of the wrong type', 'POST', 'flowmachinegroups', j({ name: 'g2', password: [PASSWORD] })],
      ['password as an object', 'POST', 'flowmachinegroups', j({ name: 'g2', password: { value: PASSWORD } })],
      ['duplicate name', 'POST', 'flowmachinegroups', j({ name: 'g1', password: PASSWORD })],
      ['password unquoted', 'POST', 'flowmachinegroups', `{"name":"g2","password":${PASSWORD}}`],
      ['junk after the password', 'POST', 'flowmachinegroups', `{"name":"g2","password":"${PASSWORD}" x}`],
      ['control character in the password', 'POST', 'flowmachinegroups', `{"name":"g2","password":"${PASSWORD}\u0001"}`],
      ['bad escape in the password', 'POST', 'flowmachinegroups', `{"name":"g2","password":"${PASSWORD}\\q"}`],
      ['unterminated password', 'POST', 'flowmachinegroups', `{"name":"g2","password":"${PASSWORD}`],
      ['password in __proto__', 'POST', 'flowmachinegroups', `{"__proto__":{"password":"${PASSWORD}"},"name":"g2"}`],
      ['PATCH: not updatable field', 'PATCH', `flowmachinegroups(${id.group})`, j({ password: PASSWORD, statuscode: 3 })],
      ['PATCH: password too long', 'PATCH', `flowmachinegroups(${id.group})`, j({ password: PASSWORD.repeat(20) })],
      ['PATCH: password unquoted', 'PATCH', `flowmachinegroups(${id.group})`, `{"password":${PASSWORD}}`],
      ['CreateMultiple: second item bad', 'POST', `flowmachinegroups/${action('CreateMultiple')}`, j({ Targets: [{ name: 'g3', password: PASSWORD }, { name: '', password: PASSWORD }] })],
      ['UpdateMultiple: bad key', 'POST', `flowmachinegroups/${action('UpdateMultiple')}`, j({ Targets: [{ flowmachinegroupid: 'x', password: PASSWORD }] })],
      ['UpdateMultiple: password too long', 'POST', `flowmachinegroups/${action('UpdateMultiple')}`, j({ Targets: [{ flowmachinegroupid: id.group, password: PASSWORD.repeat(20) }] })],
    ];
    for (const [what, method, path, body] of bad) {
      const res = await send(what, method, path, body);
      expectClearError(res, what);
      expect(leaks(res.text), `${what}: ${res.text}`).toEqual([]);
    }
  });

  it('a connection credential is never echoed, read back or kept in a respond-async operation', async () => {
    const conn = (extra: Record<string, unknown>) => j({ name: 'c1', _machinegroupid_value: id.group, sessionusername: 'robot', password: PASSWORD, ...extra });
    const bad: Array<[string, string]> = [
      ['connection: unknown field', conn({ colour: 'red' })],
      ['connection: no target', j({ name: 'c1', sessionusername: 'robot', password: PASSWORD })],
      ['connection: password too long', conn({ password: PASSWORD.repeat(20) })],
      ['connection: password unquoted', `{"name":"c1","sessionusername":"robot","password":${PASSWORD}}`],
    ];
    for (const [what, body] of bad) {
      const res = await send(what, 'POST', 'desktopflowconnections', body);
      expectClearError(res, what);
      expect(leaks(res.text), `${what}: ${res.text}`).toEqual([]);
    }
    const created = await send('POST a connection', 'POST', 'desktopflowconnections', conn({}), { prefer: 'return=representation' });
    expect(created.status, created.text).toBe(201);
    await send('GET connections', 'GET', 'desktopflowconnections', '');
    const res = await send('respond-async CreateMultiple connections', 'POST', `desktopflowconnections/${action('CreateMultiple')}`, j({ Targets: [JSON.parse(conn({ name: 'c2' })) as unknown] }), { prefer: 'respond-async' });
    expect(res.status, res.text).toBe(202);
    const done = await operationDone(await newestOperation());
    answers.push({ what: 'backgroundoperation of connections', res: done });
    expect(done.json.backgroundoperationstatuscode, done.text).toBe(30);
    for (const { what, res: answer } of answers.slice(-7)) expect(leaks(answer.text), `${what}: ${answer.text}`).toEqual([]);
  });

  it('a secret input (x-secret) in a refused body is never echoed', async () => {
    const run = `workflows(${id.workflow})/${action('RunDesktopFlow')}`;
    const runBody = (inputs: unknown) => j({ runMode: 'unattended', machineGroupId: id.group, inputs });
    const session = (inputs: string) => ({ _regardingobjectid_value: id.workflow, _machinegroupid_value: id.group, inputs });
    const bad: Array<[string, string, string]> = [
      ['pattern and length', run, runBody({ apiKey: SECRET, count: 1 })],
      ['wrong type next to it', run, runBody({ apiKey: SECRET, count: 'many' })],
      ['unknown input next to it', run, runBody({ apiKey: SECRET, count: 1, extra: true })],
      ['secret of the wrong type', run, runBody({ apiKey: { value: SECRET }, count: 1 })],
      ['secret in an array', run, runBody({ apiKey: [SECRET], count: 1 })],
      ['unknown body field', run, j({ runMode: 'unattended', machineGroupId: id.group, inputs: { apiKey: SECRET, count: 1 }, secret: SECRET })],
      ['secret unquoted in the body', run, `{"runMode":"unattended","inputs":{"apiKey":${SECRET},"count":1}}`],
      ['inputs text: secret unquoted', 'flowsessions', j(session(`{"apiKey":${SECRET},"count":1}`))],
      ['inputs text: junk after the secret', 'flowsessions', j(session(`{"apiKey":"${SECRET}" ,}`))],
      ['inputs text: unterminated', 'flowsessions', j(session(`{"apiKey":"${SECRET}`))],
      ['inputs text: schema', 'flowsessions', j(session(j({ apiKey: SECRET, count: 'x' })))],
      ['inputs text: not an object', 'flowsessions', j(session(j([SECRET])))],
      ['inputs text: bare secret', 'flowsessions', j(session(SECRET))],
      ['CreateMultiple sessions: bad inputs', `flowsessions/${action('CreateMultiple')}`, j({ Targets: [session(`{"apiKey":${SECRET}}`)] })],
    ];
    for (const [what, path, body] of bad) {
      const res = await send(what, 'POST', path, body);
      expectClearError(res, what);
      expect(leaks(res.text), `${what}: ${res.text}`).toEqual([]);
    }
  });

  it('respond-async bulk operations: neither the failure message nor the stored operation holds the password', async () => {
    const ops: string[] = [];
    for (const targets of [[{ name: 'g4', password: PASSWORD }], [{ name: 'g5', password: PASSWORD }, { name: '', password: PASSWORD }]]) {
      const res = await send('respond-async CreateMultiple', 'POST', `flowmachinegroups/${action('CreateMultiple')}`, j({ Targets: targets }), { prefer: 'respond-async' });
      expect(res.status, res.text).toBe(202);
      ops.push(await newestOperation());
    }
    const states: number[] = [];
    for (const op of ops) {
      const done = await operationDone(op);
      answers.push({ what: `backgroundoperation ${op}`, res: done });
      states.push(Number(done.json.backgroundoperationstatuscode));
      expect(leaks(done.text), done.text).toEqual([]);
    }
    expect(states).toEqual([30, 31]); // Succeeded, Failed
  });

  it('accepted secret inputs: neither a session read nor a respond-async CreateMultiple operation returns them', async () => {
    const valid = `sk-${SECRET}-${'q'.repeat(15)}`;
    const target = { _regardingobjectid_value: id.workflow, _machinegroupid_value: id.group, inputs: j({ apiKey: valid, count: 1 }) };
    const direct = await send('POST a session', 'POST', 'flowsessions', j(target), { prefer: 'return=representation' });
    expect(direct.status, direct.text).toBe(201);
    const res = await send('respond-async CreateMultiple sessions', 'POST', `flowsessions/${action('CreateMultiple')}`, j({ Targets: [target] }), { prefer: 'respond-async' });
    expect(res.status, res.text).toBe(202);
    const op = await newestOperation();
    const done = await operationDone(op);
    answers.push({ what: `backgroundoperation ${op}`, res: done });
    expect(done.json.backgroundoperationstatuscode, done.text).toBe(30);
    expect(leaks(done.text), done.text).toEqual([]);
    const sessions = await send('GET sessions', 'GET', 'flowsessions?$select=inputs', '');
    expect(sessions.json.value.length, sessions.text).toBeGreaterThanOrEqual(2);
    expect(sessions.text).toContain('\\"apiKey\\":\\"***\\"');
    expect(leaks(sessions.text), sessions.text).toEqual([]);
  });

  it('an input holding NUL or an unpaired surrogate is refused (400 InvalidInputs) naming where, never echoing it', async () => {
    const run = `workflows(${id.workflow})/${action('RunDesktopFlow')}`;
    const runBody = (inputs: unknown) => j({ runMode: 'unattended', machineGroupId: id.group, inputs });
    const session = (inputs: unknown) => j({ _regardingobjectid_value: id.workflow, _machinegroupid_value: id.group, inputs: j(inputs) });
    // Each value matches the schema (^sk-, 40–50 characters): only the character is wrong.
    const nul = `sk-${SECRET}\u0000${'z'.repeat(20)}`;
    const surrogate = `sk-${SECRET}\ud800${'z'.repeat(20)}`;
    const bad: Array<[string, string, string, string]> = [
      ['NUL in a secret input', run, runBody({ apiKey: nul, count: 1 }), 'inputs.apiKey holds a NUL character'],
      ['unpaired surrogate in a secret input', run, runBody({ apiKey: surrogate, count: 1 }), 'inputs.apiKey holds an unpaired UTF-16 surrogate'],
      ['NUL in an input name', run, runBody({ apiKey: `sk-${'a'.repeat(40)}`, count: 1, [`x\u0000${SECRET}`]: 1 }), 'an input name in inputs holds a NUL character'],
      ['NUL in a session\'s inputs text', 'flowsessions', session({ apiKey: nul, count: 1 }), 'inputs.apiKey holds a NUL character'],
    ];
    for (const [what, path, body, message] of bad) {
      const res = await send(what, 'POST', path, body);
      const err = expectClearError(res, what);
      expect(res.status, what).toBe(400);
      expect(err.code, what).toBe('InvalidInputs');
      expect(err.message, what).toContain(message);
      expect(leaks(res.text), `${what}: ${res.text}`).toEqual([]);
    }
  });

  it('figures: no answer and no log line holds a secret', () => {
    const logLeaks = logLines.filter((l) => leaks(l).length > 0);
    expect(logLeaks).toEqual([]);
    console.log(`secrets in API errors: ${answers.length} answers to bodies holding a group password or an x-secret input (${answers.filter((a) => a.res.status >= 400).length} refusals), ${logLines.length} log lines at debug level — 0 contain the secret or any 6-character piece of it`);
  });
});
