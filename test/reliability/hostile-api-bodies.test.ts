import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { expectClearError, histogram, rawRequest, rowCounts, storeSnapshot, type RawReply } from './support/hostile-api.js';

/**
 * Every Web API body (POST/PATCH of each entity set, RunDesktopFlow, CancelDesktopFlowRun, Create/Update/
 * DeleteMultiple) fed with arbitrary JSON, mutated valid bodies and non-JSON bytes under various content types
 * (fast-check, fixed seeds). Each answer: never 5xx; a refusal is a 4xx `{"error":{code,message}}` and leaves every
 * row of the store as it was; a valid mutation may succeed. Afterwards a good request is still served.
 */
const BODY_LIMIT = 1024 * 1024;
const NONEXISTENT = '0b5c8a4e-9f3d-4c1a-8e2b-7d6f5a4c3b21';
const PASSWORD = 'group-password-1';
const flow = JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] });

let o: TestOrchestrator;
const id = { group: '', workflow: '', machine: '', session: '' };

const call = (method: string, path: string, body?: string | Buffer, contentType: string | undefined = 'application/json'): Promise<RawReply> =>
  rawRequest(`${o.url}/api/data/v9.2/${path}`, method, { authorization: `Bearer ${o.token}`, ...(contentType === undefined || body === undefined ? {} : { 'content-type': contentType }) }, body);

const entityIdOf = async (res: Promise<RawReply>): Promise<string> => {
  const r = await res;
  expect(r.status, r.text).toBeLessThan(300);
  return String(r.json?.flowsessionId ?? '');
};

beforeAll(async () => {
  o = await startTestOrchestrator({ bodyLimitBytes: BODY_LIMIT });
  const created = async (path: string, body: unknown): Promise<string> => {
    const r = await rawRequest(`${o.url}/api/data/v9.2/${path}`, 'POST', { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', prefer: 'return=representation' }, JSON.stringify(body));
    expect(r.status, r.text).toBe(201);
    return String(r.json[`${path.slice(0, -1)}id`]);
  };
  id.group = await created('flowmachinegroups', { name: 'g1', password: PASSWORD });
  id.workflow = await created('workflows', { name: 'wf', clientdata: flow, inputschema: JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } } }) });
  id.machine = (await registerMachine(o.url, { group: 'g1', password: PASSWORD, name: 'm1' })).flowmachineid;
  id.session = await entityIdOf(call('POST', `workflows(${id.workflow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, JSON.stringify({ runMode: 'unattended', machineGroupId: id.group })));
});
afterAll(async () => o?.close());

interface Endpoint {
  readonly name: string;
  readonly method: 'POST' | 'PATCH';
  path(): string;
  valid(): Record<string, unknown>;
}

const createBody: Record<string, () => Record<string, unknown>> = {
  workflows: () => ({ name: 'wf-new', clientdata: flow, description: 'd' }),
  flowmachinegroups: () => ({ name: 'g-new', password: 'another-password', description: 'd' }),
  flowsessions: () => ({
    'regardingobjectid@odata.bind': `/workflows(${id.workflow})`,
    _machinegroupid_value: id.group,
    inputs: '{"n":1}',
    scheduledfor: '2030-01-01T00:00:00Z',
    callbackurl: 'https://example.com/cb',
    priority: 1,
  }),
};
const patchBody: Record<string, () => Record<string, unknown>> = {
  workflows: () => ({ name: 'wf-renamed', description: 'x' }),
  flowmachinegroups: () => ({ description: 'x', preferredqueuingtype: 1 }),
  flowmachines: () => ({ name: 'm-renamed', sessioncapacity: 2 }),
  flowsessions: () => ({ priority: 5, context: 'ctx', scheduledfor: '2031-01-01T00:00:00Z' }),
};
const keyOf: Record<string, () => string> = { workflows: () => id.workflow, flowmachinegroups: () => id.group, flowmachines: () => id.machine, flowsessions: () => id.session };
const keyName = (set: string): string => `${set.slice(0, -1)}id`;
const action = (name: string): string => `Microsoft.Dynamics.CRM.${name}`;

const ENDPOINTS: Endpoint[] = [
  ...Object.entries(createBody).map(([set, body]) => ({ name: `POST ${set}`, method: 'POST' as const, path: () => set, valid: body })),
  ...Object.entries(patchBody).map(([set, body]) => ({ name: `PATCH ${set}`, method: 'PATCH' as const, path: () => `${set}(${keyOf[set]!()})`, valid: body })),
  { name: 'POST flowmachines (405)', method: 'POST', path: () => 'flowmachines', valid: () => ({ name: 'm' }) },
  { name: 'POST flowlogs (405)', method: 'POST', path: () => 'flowlogs', valid: () => ({ name: 'l' }) },
  { name: 'PATCH backgroundoperations (405)', method: 'PATCH', path: () => `backgroundoperations(${NONEXISTENT})`, valid: () => ({ name: 'b' }) },
  {
    name: 'RunDesktopFlow',
    method: 'POST',
    path: () => `workflows(${id.workflow})/${action('RunDesktopFlow')}`,
    valid: () => ({ runMode: 'unattended', machineGroupId: id.group, runPriority: 'high', timeout: 60, inputs: { n: 2 }, scheduledFor: '2030-01-01T00:00:00Z', correlationId: 'c-1' }),
  },
  { name: 'CancelDesktopFlowRun', method: 'POST', path: () => `flowsessions(${id.session})/${action('CancelDesktopFlowRun')}`, valid: () => ({}) },
  ...Object.entries(createBody).map(([set, body]) => ({ name: `CreateMultiple ${set}`, method: 'POST' as const, path: () => `${set}/${action('CreateMultiple')}`, valid: () => ({ Targets: [body()] }) })),
  ...Object.entries(patchBody).map(([set, body]) => ({
    name: `UpdateMultiple ${set}`,
    method: 'POST' as const,
    path: () => `${set}/${action('UpdateMultiple')}`,
    valid: () => ({ Targets: [{ [keyName(set)]: keyOf[set]!(), ...body() }] }),
  })),
  ...Object.keys(keyOf).flatMap((set) => [
    { name: `DeleteMultiple ${set} (Ids)`, method: 'POST' as const, path: () => `${set}/${action('DeleteMultiple')}`, valid: () => ({ Ids: [NONEXISTENT] }) },
    { name: `DeleteMultiple ${set} (Targets)`, method: 'POST' as const, path: () => `${set}/${action('DeleteMultiple')}`, valid: () => ({ Targets: [{ [keyName(set)]: NONEXISTENT }] }) },
  ]),
];

const nested = (depth: number, leaf: unknown, array: boolean): string => (array ? '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth) : '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth));
const BAD_GUIDS = ['', 'not-a-guid', '0b5c8a4e9f3d4c1a8e2b7d6f5a4c3b21', `{${NONEXISTENT}}`, `${NONEXISTENT}0`, "1' OR '1'='1", '/workflows(x)', '/flowsessions(' + NONEXISTENT + ')'];
const BAD_DATES = ['2030-13-01T00:00:00Z', 'yesterday', '2030-02-30T00:00:00Z', '0000-00-00', 1e12, '2030-01-01T25:61:61Z', ''];
const NASTY_STRINGS = ['', ' ', '\u0000', '\uD800', "'; DROP TABLE workflows; --", '$(rm -rf /)', '${process.env}', '<script>', '../../etc/passwd', '%00', '\r\n\r\nGET / HTTP/1.1'];

/** A value of a wrong or hostile kind for any field. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(null, true, -1, 0.5, 1e308, -0, [], {}, 2 ** 53 + 1, ...NASTY_STRINGS, ...BAD_GUIDS, ...BAD_DATES),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

type Mutation = 'replace' | 'delete' | 'add' | 'proto' | 'constructor' | 'huge' | 'deep' | 'guid' | 'date' | 'target';
const MUTATIONS: Mutation[] = ['replace', 'delete', 'add', 'proto', 'constructor', 'huge', 'deep', 'guid', 'date', 'target'];
/** Mutations no endpoint may accept (an unknown property somewhere in the body). */
const ALWAYS_REFUSED = new Set<Mutation>(['add', 'proto', 'constructor']);
const HUGE = [5_000, 300_000, BODY_LIMIT + 1];
const DEPTHS = [64, 2_000, 100_000];

/** Mutates `body` (in place); returns the JSON text to send (some mutations only exist as text). */
function mutate(body: Record<string, unknown>, how: Mutation, pick: number, value: unknown): string {
  const keys = Object.keys(body);
  const key = keys.length > 0 ? keys[pick % keys.length]! : 'name';
  switch (how) {
    case 'replace':
      body[key] = value;
      return JSON.stringify(body);
    case 'delete':
      delete body[key];
      return JSON.stringify(body);
    case 'add':
      body[`unknown_${pick % 7}`] = value;
      return JSON.stringify(body);
    case 'proto': {
      const proto = `{"__proto__":${JSON.stringify(value ?? { statecode: 1 })}`;
      return keys.length === 0 ? `${proto}}` : `${proto},${JSON.stringify(body).slice(1)}`;
    }
    case 'constructor':
      body[pick % 2 === 0 ? 'constructor' : 'prototype'] = { prototype: { isAdmin: true }, value };
      return JSON.stringify(body);
    case 'huge':
      body[key] = 'x'.repeat(HUGE[pick % HUGE.length]!);
      return JSON.stringify(body);
    case 'deep': {
      const depth = DEPTHS[pick % DEPTHS.length]!;
      const text = JSON.stringify({ ...body, [key]: '@@DEEP@@' });
      return text.replace('"@@DEEP@@"', nested(depth, value ?? 1, pick % 2 === 0));
    }
    case 'guid':
      body[keys.find((k) => /id$|_value$|Id$|Ids$|bind$/.test(k)) ?? key] = BAD_GUIDS[pick % BAD_GUIDS.length];
      return JSON.stringify(body);
    case 'date':
      body[keys.find((k) => /scheduled/i.test(k)) ?? key] = BAD_DATES[pick % BAD_DATES.length];
      return JSON.stringify(body);
    case 'target': {
      const list = body['Targets'] ?? body['Ids'];
      if (Array.isArray(list) && list.length > 0) {
        if (typeof list[0] === 'object' && list[0] !== null) {
          const inner = mutate(list[0] as Record<string, unknown>, MUTATIONS[pick % 9]!, pick >> 4, value);
          return JSON.stringify({ ...body, Targets: ['@@INNER@@', ...list.slice(1)] }).replace('"@@INNER@@"', inner);
        }
        list.push(value);
      } else body[key] = [value];
      return JSON.stringify(body);
    }
  }
}

const figures = { requests: 0, refused: [] as number[], succeeded: [] as string[], codes: new Set<string>() };
let baseline: Record<string, string[]> = {};

/** Sends one body; checks the answer and that a refusal left the store exactly as it was. */
async function probe(endpoint: Endpoint, body: string | Buffer, contentType: string | undefined, mustRefuse = false): Promise<void> {
  const res = await call(endpoint.method, endpoint.path(), body, contentType);
  figures.requests += 1;
  const what = `${endpoint.name} ${contentType ?? '(no content-type)'} ${String(body).slice(0, 120)}`;
  if (mustRefuse) expect(res.status, `${what} must be refused: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  const now = await storeSnapshot(o.running.store);
  if (res.status >= 400) {
    figures.codes.add(expectClearError(res, what).code);
    figures.refused.push(res.status);
    expect(now, `${what} refused ${res.status} but changed the store`).toEqual(baseline);
  } else {
    figures.succeeded.push(endpoint.name);
  }
  baseline = now;
}

const endpointArb = fc.nat(ENDPOINTS.length - 1).map((i) => ENDPOINTS[i]!);
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  'application/merge-patch+json',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;=',
  'json',
  undefined,
];

describe('hostile input: Web API bodies', () => {
  beforeAll(async () => {
    baseline = await storeSnapshot(o.running.store);
  });

  it('mutated valid bodies (wrong types, unknown fields, huge strings, deep nesting, __proto__/constructor, bad GUIDs and dates): never 5xx, refusals are clear 4xx and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(endpointArb, fc.constantFrom(...MUTATIONS), fc.nat(), hostileValue, async (endpoint, how, pick, value) => {
        await probe(endpoint, mutate(endpoint.valid(), how, pick, value), 'application/json', ALWAYS_REFUSED.has(how));
      }),
      { seed: 20260601, numRuns: 1500 },
    );
  }, 60_000);

  it('every endpoint × every field × unknown field, __proto__, constructor, huge string (3 sizes), deep nesting (3 depths × array/object)', async () => {
    const cases: Array<[Mutation, number]> = [['add', 0], ['proto', 0], ['constructor', 0], ['constructor', 1], ...HUGE.map((_, i): [Mutation, number] => ['huge', i]), ...[0, 1, 2, 3, 4, 5].map((i): [Mutation, number] => ['deep', i])];
    for (const endpoint of ENDPOINTS) {
      const keys = Math.max(1, Object.keys(endpoint.valid()).length);
      for (let k = 0; k < keys; k++) {
        for (const [how, variant] of cases) {
          // `pick` chooses the field (pick % keys) and the variant (pick % sizes): find one that does both.
          const pick = Array.from({ length: 1000 }, (_, p) => p).find((p) => p % keys === k && p % (how === 'deep' ? 6 : how === 'huge' ? 3 : 2) === variant) ?? variant;
          await probe(endpoint, mutate(endpoint.valid(), how, pick, { x: 1 }), 'application/json', ALWAYS_REFUSED.has(how) || (how === 'huge' && variant === 2));
        }
      }
    }
  }, 60_000);

  it('arbitrary JSON values as the body of every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(endpointArb, fc.jsonValue({ maxDepth: 5 }), async (endpoint, value) => {
        await probe(endpoint, JSON.stringify(value) ?? 'null', 'application/json');
      }),
      { seed: 20260602, numRuns: 600 },
    );
  }, 60_000);

  it('non-JSON bytes and text under various content types', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
      fc.constantFrom('name=x&password=y', '<xml/>', '{"name":"x",', '\uFEFF{}', 'null', '{"a":1}{"b":2}', 'NaN', "{'name':'x'}", '\u0000'),
    );
    await fc.assert(
      fc.asyncProperty(endpointArb, bytes, fc.constantFrom(...CONTENT_TYPES), async (endpoint, body, contentType) => {
        await probe(endpoint, body, contentType);
      }),
      { seed: 20260603, numRuns: 600 },
    );
  }, 60_000);

  it('the server still serves a good client; figures', async () => {
    const before = rowCounts(await storeSnapshot(o.running.store));
    const res = await call('POST', `workflows(${id.workflow})/${action('RunDesktopFlow')}`, JSON.stringify({ runMode: 'unattended', machineGroupId: id.group }));
    expect(res.status, res.text).toBe(200);
    expect((await call('GET', `flowsessions(${String(res.json.flowsessionId)})?$select=statuscode`)).status).toBe(200);
    expect(rowCounts(await storeSnapshot(o.running.store))['flowsessions']).toBe(before['flowsessions']! + 1);
    const ok = histogram(figures.succeeded.map(() => 200));
    console.log(
      `hostile API bodies: ${figures.requests} requests over ${ENDPOINTS.length} endpoints; refused ${figures.refused.length} ${JSON.stringify(histogram(figures.refused))} ` +
        `with codes ${[...figures.codes].sort().join(', ')}; accepted ${ok[200] ?? 0} valid mutations (${[...new Set(figures.succeeded)].sort().join(', ')}); 0 × 5xx; every refusal left the store unchanged`,
    );
  });
});
