import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { StatusProducer } from '../../main/agent/status/status.js';
import { AgentStore } from '../../main/agent/store/agent-store.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { FakeAgent, registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator } from '../support/orchestrator-harness.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { API_GROUP_PASSWORD, apiOk, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { startCallbackReceiver } from '../support/callback-receiver.js';

/**
 * Secret inputs (`x-secret` at the top level, on a nested property and on array `items`) through the real Web API and
 * a real agent, with a flow that puts them everywhere it can: stdout, its outputs (values and keys), an outputs file
 * that is not JSON. No read of the orchestrator (session, flowlogs, `$select=inputs`), no callback body, no status of
 * the agent and, once the run is reported, no byte of the agent's store (file + WAL) holds one in clear; the flow
 * itself got the clear values.
 */
const SECRETS = { top: 'sk-top-Q1w2e3r4t5', nested: 'pw-nested-Z9x8c7v6', item: 'tok-item-A1b2c3d4', item2: 'tok-item-D4e5f6g7' };
const inputschema = {
  type: 'object',
  properties: {
    mode: { type: 'string' },
    apiKey: { type: 'string', 'x-secret': true },
    creds: { type: 'object', properties: { user: { type: 'string' }, pw: { type: 'string', 'x-secret': true } } },
    tokens: { type: 'array', items: { type: 'string', 'x-secret': true } },
  },
};
const outputschema = { type: 'object', properties: { echo: {}, nested: {}, item: {}, sha: { type: 'string' }, plain: { type: 'string' } }, additionalProperties: false };
const inputs = { mode: 'echo', apiKey: SECRETS.top, creds: { user: 'alice', pw: SECRETS.nested }, tokens: [SECRETS.item, SECRETS.item2] };

// The flow: prints every secret, and writes them into its outputs (mode echo), as a key (mode key), or as raw text (mode raw).
const script = `
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
const i = JSON.parse(readFileSync(process.env.FLOWHOST_INPUTS, 'utf8'));
const all = [i.apiKey, i.creds.pw, ...i.tokens];
console.log('secrets: ' + all.join(' ') + ' ' + JSON.stringify(i));
const sha = createHash('sha256').update(all.join('|')).digest('hex');
const out = process.env.FLOWHOST_OUTPUTS;
if (i.mode === 'echo') writeFileSync(out, JSON.stringify({ echo: i.apiKey, nested: { pw: i.creds.pw, n: 1 }, item: i.tokens, sha, plain: 'ok' }));
if (i.mode === 'key') writeFileSync(out, JSON.stringify({ [i.tokens[1]]: 1, [i.creds.pw]: 2 }));
if (i.mode === 'raw') writeFileSync(out, i.creds.pw + ' ' + i.apiKey);
`;

const leaked = (text: string): string[] => Object.values(SECRETS).filter((s) => text.includes(s));

async function sessionTexts(orch: Parameters<typeof getSession>[0], id: string): Promise<string> {
  const session = JSON.stringify(await getSession(orch, id));
  const logs = JSON.stringify(await apiOk(orch, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id}`));
  return `${session}\n${logs}`;
}

async function setup() {
  const orch = disposeAfterTest(await startApiOrchestrator());
  const receiver = disposeAfterTest(await startCallbackReceiver());
  const group = await createGroup(orch, 'g-secrets');
  const workflow = await apiOk(orch, 'POST', 'workflows', {
    name: 'leaky',
    category: 6,
    clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script }),
    inputschema: JSON.stringify(inputschema),
    outputschema: JSON.stringify(outputschema),
  });
  const run = (mode: string) => runFlow(orch, String(workflow['workflowid']), { machineGroupId: group, inputs: { ...inputs, mode }, callbackUrl: receiver.url(`/${mode}`) });
  return { orch, receiver, run };
}

describe('e2e: secret inputs are never in clear outside the flow', () => {
  it('x-secret (top level, nested property, array items): masked in outputs, errormessage, errordetails, flowlogs, callback body and status', async () => {
    const { orch, receiver, run } = await setup();
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g-secrets', name: 'secret-agent', capacity: 3 }));
    const ids: Record<string, string> = {};
    for (const mode of ['echo', 'key', 'raw']) ids[mode] = await run(mode);
    const ends: Record<string, Row> = {};
    for (const [mode, id] of Object.entries(ids)) ends[mode] = await waitForSessionEnd(orch, id);

    // The flow got the clear values (their hash), and its outputs stay valid JSON with the secrets masked.
    expect(ends['echo']).toMatchObject({ statuscode: 4 });
    expect(JSON.parse(String(ends['echo']!['outputs']))).toEqual({
      echo: '***',
      nested: { pw: '***', n: 1 },
      item: ['***', '***'],
      sha: createHash('sha256').update([SECRETS.top, SECRETS.nested, SECRETS.item, SECRETS.item2].join('|')).digest('hex'),
      plain: 'ok',
    });
    // An unknown outputs key is named in errormessage and errordetails; a non-JSON outputs file is quoted by JSON.parse.
    expect(ends['key']).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
    expect(String(ends['key']!['errormessage'])).toContain("unknown property '***'");
    expect(String(ends['key']!['errordetails'])).toContain("unknown property '***'");
    expect(ends['raw']).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });

    for (const [mode, id] of Object.entries(ids)) {
      const text = await sessionTexts(orch, id);
      expect(leaked(text), `${mode}: ${text}`).toEqual([]);
      expect(text, mode).toContain('secrets: *** *** *** ***');
    }
    await waitFor(() => receiver.requests.length === 3, { what: 'three callbacks' });
    for (const r of receiver.requests) expect(leaked(r.body), `${r.path}: ${r.body}`).toEqual([]);
    expect(JSON.parse(receiver.to('/echo')[0]!.body)).toMatchObject({ outputs: { echo: '***', nested: { pw: '***' } } });
    // The status window's producer over the agent's store (a second connection, as the tray's reader is).
    const reader = AgentStore.open(join(a.dataDir, 'agent.db'));
    disposeAfterTest({ close: () => reader.close() });
    const producer = new StatusProducer({ agent: a.agent, store: reader });
    const status = JSON.stringify(producer.handle('status:get', {})) + JSON.stringify(Object.values(ids).map((id) => producer.handle('session:log-tail', { sessionId: id })));
    expect(status).toContain('OutputsInvalid');
    expect(leaked(status), status).toEqual([]);
  }, 60_000);

  it('at rest: reads return secret inputs masked (queued and ended), and once reported the agent store file and WAL hold none', async () => {
    const { orch, run } = await setup();
    const id = await run('echo');
    // Queued, no agent yet: what a read returns is masked, and a $filter cannot probe the secret.
    const waiting = await apiOk(orch, 'GET', `flowsessions(${id})?$select=inputs`);
    expect(JSON.parse(String(waiting['inputs']))).toEqual({ mode: 'echo', apiKey: '***', creds: { user: 'alice', pw: '***' }, tokens: ['***', '***'] });
    const probe = await apiOk(orch, 'GET', `flowsessions?$filter=contains(inputs,'${SECRETS.top}')&$select=flowsessionid`);
    expect(probe['value']).toEqual([]);

    const a = disposeAfterTest(await startApiAgent(orch, { group: 'g-secrets', name: 'secret-agent' }));
    const end = await waitForSessionEnd(orch, id);
    // The agent was given the clear values: the flow hashed them.
    expect(JSON.parse(String(end['outputs']))).toMatchObject({ sha: createHash('sha256').update([SECRETS.top, SECRETS.nested, SECRETS.item, SECRETS.item2].join('|')).digest('hex') });
    expect(JSON.parse(String(end['inputs']))).toMatchObject({ apiKey: '***', creds: { pw: '***' }, tokens: ['***', '***'] });

    // Once reported (every event acked), the agent's store file and its WAL hold no secret.
    await waitFor(() => a.agent.state().backlog.events === 0, { what: 'every event acked' });
    const store = join(a.dataDir, 'agent.db');
    const bytes = ['', '-wal'].map((s) => (existsSync(store + s) ? readFileSync(store + s).toString('latin1') : '')).join('\n');
    expect(bytes).toContain('secrets: *** *** *** ***');
    expect(leaked(bytes)).toEqual([]);
  }, 60_000);

  it('a database written before secret inputs were masked: the next start masks what reads return; an open session still reaches its agent in clear', async () => {
    const dataDir = tempDir('flowhost-secrets-upgrade-');
    const orch = disposeAfterTest(await startTestOrchestrator({ dataDir, gateway: { queueTickMs: 20 } }));
    const ok = async (method: string, path: string, body?: unknown): Promise<Row> => {
      const res = await orch.api(method, path, body, { prefer: 'return=representation' });
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
      return (res.json ?? {}) as Row;
    };
    const group = await createGroup(orch, 'g-old');
    const wf = String((await ok('POST', 'workflows', { name: 'old', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }), inputschema: JSON.stringify(inputschema) }))['workflowid']);
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs });
    await orch.close();
    // What an older release stored: the inputs in clear, no hidden copy, and no record that masking was done.
    const db = new Database(join(dataDir, 'orchestrator.db'));
    db.prepare('UPDATE flowsessions SET inputs = ?, secretinputs = NULL WHERE flowsessionid = ?').run(JSON.stringify(inputs), id);
    db.prepare(`DELETE FROM meta WHERE key = 'secretinputs.masked'`).run();
    db.close();

    const again = disposeAfterTest(await startTestOrchestrator({ dataDir, gateway: { queueTickMs: 20 } }));
    const read = await again.api('GET', `flowsessions(${id})?$select=inputs`);
    expect(leaked(read.text), read.text).toEqual([]);
    const reg = await registerMachine(again.url, { group: 'g-old', password: API_GROUP_PASSWORD, name: 'old-agent' });
    const agent = await FakeAgent.connect({ baseUrl: again.url, machineId: reg.flowmachineid, credential: reg.credential });
    disposeAfterTest({ close: () => agent.close() });
    await agent.hello();
    const assign = await agent.next('assign');
    expect(JSON.parse(assign.inputs)).toEqual(inputs);
    expect(assign.secretInputs.sort()).toEqual(['/creds/pw', '/tokens/0', '/tokens/1', 'apiKey']);
  });
});
