import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARE_OPS, STRING_FUNCTIONS } from '../../orchestrator/odata/filter-ast.js';
import { entities } from '../../shared/records/index.js';
import { startTestOrchestrator, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { expectClearError, histogram, rawRequest, rowCounts, storeSnapshot } from './support/hostile-api.js';

/**
 * Arbitrary `$filter`, `$select`, `$orderby`, `$top`, `$skip`, `$skiptoken`, `$count` (and unknown options) over
 * HTTP on every entity set's collection, `$count` and record: 200, or a 400 `{"error":{code,message}}` — never a
 * 5xx, and the store is untouched. fast-check, fixed seed.
 */
let o: TestOrchestrator;
const ids: Record<string, string> = {};
const GUID = '0b5c8a4e-9f3d-4c1a-8e2b-7d6f5a4c3b21';

beforeAll(async () => {
  o = await startTestOrchestrator();
  const post = async (set: string, body: unknown): Promise<Record<string, unknown>> => {
    const r = await rawRequest(`${o.url}/api/data/v9.2/${set}`, 'POST', { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', prefer: 'return=representation' }, JSON.stringify(body));
    expect(r.status, r.text).toBe(201);
    return r.json as Record<string, unknown>;
  };
  ids['flowmachinegroups'] = String((await post('flowmachinegroups', { name: 'g1', password: 'group-password-1' }))['flowmachinegroupid']);
  ids['workflows'] = String((await post('workflows', { name: "wf 'quoted'", clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) }))['workflowid']);
  for (let i = 0; i < 3; i++) {
    ids['flowsessions'] = String((await post('flowsessions', { _regardingobjectid_value: ids['workflows'], _machinegroupid_value: ids['flowmachinegroups'], priority: i }))['flowsessionid']);
  }
});
afterAll(async () => o?.close());

const SETS = Object.values(entities).map((e) => e.set);
const fieldsOf = (set: string): string[] => Object.keys(entities[set]!.fields);
const ALL_FIELDS = [...new Set(SETS.flatMap(fieldsOf))];
const TOKENS = [
  ...ALL_FIELDS,
  ...COMPARE_OPS,
  ...STRING_FUNCTIONS,
  'and', 'or', 'not', 'in', 'has', 'any', 'all', 'null', 'true', 'false', '(', ')', ',', "'x'", "'it''s'", "'", "''", '0', '-1', '1.5', '1e400',
  '9007199254740993', GUID, '2030-01-01', '2030-01-01T00:00:00Z', '2030-02-30', '9999-12-31T23:59:59Z', '$it', 'Microsoft.Dynamics.CRM.Today()', '/', '*', ';', '--', '"',
];

const filterArb = fc.oneof(
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((t) => t.join('')),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.nat({ max: 20_000 }).map((n) => '('.repeat(n % 200) + 'priority eq 1' + ')'.repeat(n % 200)),
  fc.nat({ max: 1000 }).map((n) => Array.from({ length: n }, (_, i) => `priority eq ${i}`).join(' or ')),
  fc.nat({ max: 10_000 }).map((n) => `name eq '${'x'.repeat(n)}'`),
);
const listArb = (suffixes: string[]) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...ALL_FIELDS, '*', '', ' ', '$all'), fc.string({ maxLength: 12 })), fc.constantFrom(...suffixes)), { maxLength: 6 }).map((l) => l.map(([f, s]) => f + s).join(','));
const numberArb = fc.oneof(fc.integer().map(String), fc.constantFrom('0', '-1', '5001', '1e3', '99999999999999999999', '1.5', ' 5 ', '0x10', '', 'NaN', 'Infinity'), fc.string({ maxLength: 10 }));
const queryArb = fc.record(
  {
    $filter: filterArb,
    $select: listArb(['']),
    $orderby: listArb(['', ' asc', ' desc', ' DESC', ' sideways', '  asc desc']),
    $top: numberArb,
    $skip: numberArb,
    $skiptoken: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('<cookie pagenumber="2"/>', 'MTA=', '%00')),
    $count: fc.constantFrom('true', 'false', 'TRUE', '1', ''),
  },
  { requiredKeys: [] },
);
/** Mostly-valid options (so that many queries pass the early checks and reach SQL): fields of the set, sane numbers. */
const plausibleArb = (set: string) =>
  fc.record(
    {
      $filter: fc
        .array(fc.tuple(fc.constantFrom(...fieldsOf(set)), fc.constantFrom(...COMPARE_OPS), fc.constantFrom("'x'", '1', 'null', GUID, '2030-01-01T00:00:00Z', 'true', '-0.5')), { minLength: 1, maxLength: 4 })
        .map((terms) => terms.map(([f, op, v]) => `${f} ${op} ${v}`).join(' and ')),
      $select: fc.subarray(fieldsOf(set), { minLength: 1 }).map((f) => f.join(',')),
      $orderby: fc.tuple(fc.constantFrom(...fieldsOf(set)), fc.constantFrom('', ' asc', ' desc')).map(([f, d]) => f + d),
      $top: fc.integer({ min: 1, max: 5000 }).map(String),
      $skip: fc.nat({ max: 10 }).map(String),
      $count: fc.constantFrom('true', 'false'),
    },
    { requiredKeys: [] },
  );
const extraArb = fc.option(fc.constantFrom<Record<string, string>>({ $expand: 'x' }, { $Weird: '1' }, { plain: 'ignored' }, { $FILTER: 'priority eq 1' }), { freq: 5 });

describe('hostile input: OData query options over HTTP', () => {
  it('arbitrary $filter/$select/$orderby/$top/$skip/$skiptoken/$count on every set, $count and record: 200 or a clear 400, never 5xx', async () => {
    const before = await storeSnapshot(o.running.store);
    const statuses: number[] = [];
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SETS), fc.constantFrom('collection', 'count', 'record'), fc.boolean(), fc.nat(), extraArb, fc.boolean(), async (set, target, plausible, seed, extra, duplicate) => {
        const options = { ...fc.sample(plausible ? plausibleArb(set) : queryArb, { seed, numRuns: 1 })[0], ...extra };
        const pairs = Object.entries(options).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`);
        if (duplicate && pairs.length > 0) pairs.push(pairs[0]!);
        const path = target === 'collection' ? set : target === 'count' ? `${set}/$count` : `${set}(${ids[set] ?? GUID})`;
        const res = await rawRequest(`${o.url}/api/data/v9.2/${path}?${pairs.join('&')}`, 'GET', { authorization: `Bearer ${o.token}` });
        statuses.push(res.status);
        const what = `GET ${path}?${pairs.join('&').slice(0, 300)}`;
        expect(res.status, `${what} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
        // 431: the URL is longer than Node's header limit (16 KiB); Node refuses it before the API sees it.
        if (res.status !== 200 && res.status !== 431) {
          expect([400, 404], what).toContain(res.status);
          codes.add(expectClearError(res, what).code);
        }
      }),
      { seed: 20260604, numRuns: 1500 },
    );
    expect(await storeSnapshot(o.running.store)).toEqual(before);
    const good = await rawRequest(`${o.url}/api/data/v9.2/flowsessions?$filter=priority ge 1&$orderby=priority desc&$select=priority&$top=1`.replaceAll(' ', '%20'), 'GET', { authorization: `Bearer ${o.token}` });
    expect(good.status, good.text).toBe(200);
    expect(good.json.value).toEqual([expect.objectContaining({ priority: 2 })]);
    console.log(
      `hostile OData queries: ${statuses.length} requests on ${SETS.length} sets (collection, $count, record) — ${JSON.stringify(histogram(statuses))}, error codes ${[...codes].sort().join(', ')}; 0 × 5xx; ` +
        `store unchanged (${JSON.stringify(rowCounts(before))}); a good query still answers`,
    );
  }, 60_000);
});
