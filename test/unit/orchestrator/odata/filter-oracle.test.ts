import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowmachineEntity } from '../../../../shared/records/index.js';
import { compileQuery, printFilter, type CompareOp, type FilterLiteral, type FilterNode } from '../../../../orchestrator/odata/index.js';
import type { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { openTempStore } from './store-fixture.js';

/**
 * Differential test: random well-typed filters, printed to text, compiled and run by SQLite, must select exactly the
 * rows that a plain JS evaluation with OData semantics selects (nulls two-valued, ASCII case-insensitive strings).
 */

const G = ['1b2c3d4e-0000-1111-2222-333344445555', 'abcdef01-0000-1111-2222-333344445555', 'ffffffff-0000-1111-2222-000000000000'];
const NAMES = ['Alpha', 'alpha', 'ALPHA_1', '50%', 'a\\b', "it's", '', 'Z', 'zeta', 'x_y%z'];
const DATES = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z', '2025-06-30T12:00:00.000Z'];
const pick = <T>(xs: readonly T[], i: number): T | null => (i % (xs.length + 1) === xs.length ? null : xs[i % (xs.length + 1)]!);

const ROWS = Array.from({ length: 14 }, (_, i) => ({
  name: pick(NAMES, i),
  signedinuser: pick(NAMES, i * 3 + 1),
  sessioncapacity: pick([1, 2, 0, -3, 256], i),
  connected: pick([true, false], i),
  _flowmachinegroupid_value: i % 4 === 3 ? null : i % 2 === 0 ? G[i % 3]! : G[i % 3]!.toUpperCase(),
  lastheartbeatdate: pick(DATES, i),
}));
type Field = keyof (typeof ROWS)[number];

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function evalCompare(v: unknown, op: CompareOp, lit: FilterLiteral): boolean {
  if (lit.kind === 'null') return op === 'eq' ? v === null : v !== null;
  if (v === null || v === undefined) return op === 'ne';
  const a = typeof v === 'string' ? lower(v) : typeof v === 'boolean' ? Number(v) : v;
  const b = lit.kind === 'string' || lit.kind === 'guid' || lit.kind === 'datetime' ? lower(lit.value) : lit.kind === 'boolean' ? Number(lit.value) : lit.value;
  const [x, y] = [a as string | number, b as string | number];
  return { eq: x === y, ne: x !== y, gt: x > y, ge: x >= y, lt: x < y, le: x <= y }[op];
}

function evaluate(node: FilterNode, row: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, row) && evaluate(node.right, row);
    case 'or':
      return evaluate(node.left, row) || evaluate(node.right, row);
    case 'not':
      return !evaluate(node.operand, row);
    case 'compare':
      return evalCompare(row[node.property], node.op, node.value);
    case 'function': {
      const v = row[node.property];
      if (typeof v !== 'string') return false;
      const [s, t] = [lower(v), lower(node.value)];
      return node.name === 'contains' ? s.includes(t) : node.name === 'startswith' ? s.startsWith(t) : s.endsWith(t);
    }
  }
}

const ops = fc.constantFrom<CompareOp>('eq', 'ne', 'gt', 'ge', 'lt', 'le');
const text = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 3 }), fc.stringMatching(/^[%_\\aA]{0,3}$/));
const cmp = (property: Field, op: fc.Arbitrary<CompareOp>, value: fc.Arbitrary<FilterLiteral>): fc.Arbitrary<FilterNode> =>
  fc.record({ kind: fc.constant('compare' as const), op, property: fc.constant(property), value });
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  cmp('name', ops, text.map((value) => ({ kind: 'string', value }))),
  cmp('signedinuser', ops, text.map((value) => ({ kind: 'string', value }))),
  cmp('sessioncapacity', ops, fc.integer({ min: -4, max: 3 }).map((value) => ({ kind: 'number', value }))),
  cmp('connected', fc.constantFrom<CompareOp>('eq', 'ne'), fc.boolean().map((value) => ({ kind: 'boolean', value }))),
  cmp('_flowmachinegroupid_value', ops, fc.constantFrom(...G).map((value) => ({ kind: 'guid', value }))),
  cmp('lastheartbeatdate', ops, fc.constantFrom(...DATES).map((value) => ({ kind: 'datetime', value }))),
  fc
    .constantFrom<Field>('name', 'sessioncapacity', 'connected', '_flowmachinegroupid_value', 'lastheartbeatdate')
    .chain((property) => cmp(property, fc.constantFrom<CompareOp>('eq', 'ne'), fc.constant({ kind: 'null' }))),
  fc.record({ kind: fc.constant('function' as const), name: fc.constantFrom('contains', 'startswith', 'endswith' as const), property: fc.constantFrom('name', 'signedinuser'), value: text }),
);
const tree = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'oracle' },
    leaf,
    fc.record({ kind: fc.constantFrom('and', 'or' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
  ),
})).node;

describe('filter differential test against SQLite', () => {
  let store: SqliteStore;
  let close: () => Promise<void>;
  let rows: Record<string, unknown>[];
  beforeAll(async () => {
    ({ store, close } = openTempStore());
    rows = [];
    for (const r of ROWS) rows.push(await store.machines.insert(r));
  });
  afterAll(() => close());

  it('SQLite selects what OData semantics select', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        const q = compileQuery(flowmachineEntity, new URLSearchParams({ $filter: printFilter(t) }));
        const got = (await store.records.list(flowmachineEntity, { filter: q.filter })).map((r) => r['flowmachineid']);
        const want = rows.filter((r) => evaluate(t, r)).map((r) => r['flowmachineid'] as string);
        expect(got).toEqual([...want].sort());
      }),
      { numRuns: 400 },
    );
  });
});
