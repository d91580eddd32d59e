import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flowsessionEntity } from '../../../../shared/records/index.js';
import { checkFilter, compileQuery, ODataError, parseFilter, printFilter, type FilterLiteral, type FilterNode } from '../../../../orchestrator/odata/index.js';
import { filterToSql } from '../../../../orchestrator/store/sqlite-filter.js';

const noThrowButODataError = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof ODataError) return true;
    throw err;
  }
};

const placeholders = (sql: string): number => sql.split('?').length - 1;

/** Text made of filter-ish pieces, so that the fuzzer gets past the tokenizer. */
const filterishText = fc
  .array(
    fc.oneof(
      fc.constantFrom('name', 'priority', 'statuscode', '_machineid_value', 'createdon', 'nope', 'credentialhash', '__proto__'),
      fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'contains', 'startswith', 'endswith', 'true', 'null'),
      fc.constantFrom('(', ')', ',', "'", "''", "'x'", ' ', ' ', '-', '.', '1', '2.5', '1e3', '2026-01-01T00:00:00Z', '2026-02-30', '1b2c3d4e-0000-1111-2222-333344445555'),
      fc.string({ maxLength: 3 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(' '));

describe('fuzz: hostile input only ever yields ODataError', () => {
  it('parseFilter on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => noThrowButODataError(() => parseFilter(s))), { numRuns: 500 });
  });

  it('compileQuery on filter-ish text: ODataError or SQLite whose placeholders match its params', () => {
    fc.assert(
      fc.property(filterishText, (text) =>
        noThrowButODataError(() => {
          const q = compileQuery(flowsessionEntity, new URLSearchParams({ $filter: text }));
          const { sql, params } = q.filter ? filterToSql(flowsessionEntity, q.filter) : { sql: '', params: [] };
          expect(placeholders(sql)).toBe(params.length);
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('compileQuery on arbitrary query strings', () => {
    const option = fc.tuple(fc.constantFrom('$select', '$filter', '$orderby', '$top', '$skip', '$skiptoken', '$count', '$expand', '$x', 'other'), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(option, { maxLength: 5 }), (pairs) => noThrowButODataError(() => compileQuery(flowsessionEntity, new URLSearchParams(pairs)))),
      { numRuns: 500 },
    );
  });
});

const KEYWORDS = new Set(['and', 'or', 'not']);
const property = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/).filter((s) => !KEYWORDS.has(s.toLowerCase()));
const literal: fc.Arbitrary<FilterLiteral> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ kind: 'string' as const, value })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ kind: 'number' as const, value: v === 0 ? 0 : v })),
  fc.integer().map((value) => ({ kind: 'number' as const, value: value === 0 ? 0 : value })),
  fc.boolean().map((value) => ({ kind: 'boolean' as const, value })),
  fc.constant({ kind: 'null' as const }),
  fc.uuid().map((value) => ({ kind: 'guid' as const, value })),
  fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
    .map((d) => ({ kind: 'datetime' as const, value: d.toISOString() })),
);
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le' as const), property, value: literal }),
  fc.record({ kind: fc.constant('function' as const), name: fc.constantFrom('contains', 'startswith', 'endswith' as const), property, value: fc.string({ maxLength: 20 }) }),
);
const tree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 6, depthIdentifier: 'filter' },
    leaf,
    fc.record({ kind: fc.constantFrom('and', 'or' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
  ),
})).node;

describe('fuzz: printed trees parse back to the same tree', () => {
  it('parseFilter(printFilter(t)) equals t', () => {
    fc.assert(
      fc.property(tree, (t) => {
        expect(parseFilter(printFilter(t))).toEqual(t);
      }),
      { numRuns: 500 },
    );
  });

  it('checkFilter + the SQLite dialect on any tree: ODataError, or as many ? as params and no value spliced', () => {
    fc.assert(
      fc.property(tree, (t) =>
        noThrowButODataError(() => {
          const { sql, params } = filterToSql(flowsessionEntity, checkFilter(flowsessionEntity, t));
          expect(placeholders(sql)).toBe(params.length);
          expect(sql).not.toContain("'x");
        }),
      ),
      { numRuns: 500 },
    );
  });
});
