import { describe, expect, it } from 'vitest';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS, ODataError, parseFilter, printFilter, type FilterNode } from '../../../../orchestrator/odata/index.js';

const cmp = (property: string, op: string, value: unknown): FilterNode => ({ kind: 'compare', op, property, value }) as FilterNode;

function parseError(text: string): ODataError {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ODataError);
    return err as ODataError;
  }
  throw new Error(`parseFilter(${JSON.stringify(text)}) did not throw`);
}

describe('parseFilter: comparisons and literals', () => {
  it.each(['eq', 'ne', 'gt', 'ge', 'lt', 'le'])('reads the %s operator', (op) => {
    expect(parseFilter(`priority ${op} 5`)).toEqual(cmp('priority', op, { kind: 'number', value: 5 }));
  });

  it('reads operators, booleans and null in any case', () => {
    expect(parseFilter('connected EQ TRUE')).toEqual(cmp('connected', 'eq', { kind: 'boolean', value: true }));
    expect(parseFilter('paused eq false')).toEqual(cmp('paused', 'eq', { kind: 'boolean', value: false }));
    expect(parseFilter('statuscode Ne Null')).toEqual(cmp('statuscode', 'ne', { kind: 'null' }));
  });

  it("reads strings with the '' escape, empty strings and non-ASCII text", () => {
    expect(parseFilter("name eq 'O''Brien'")).toEqual(cmp('name', 'eq', { kind: 'string', value: "O'Brien" }));
    expect(parseFilter("name eq ''")).toEqual(cmp('name', 'eq', { kind: 'string', value: '' }));
    expect(parseFilter("name eq 'Zürich (and) eq, ok'")).toEqual(cmp('name', 'eq', { kind: 'string', value: 'Zürich (and) eq, ok' }));
  });

  it('reads integers, negatives, decimals and exponents', () => {
    expect(parseFilter('priority gt -100')).toEqual(cmp('priority', 'gt', { kind: 'number', value: -100 }));
    expect(parseFilter('machinepercentcpuusage ge 12.5')).toEqual(cmp('machinepercentcpuusage', 'ge', { kind: 'number', value: 12.5 }));
    expect(parseFilter('machineramusage lt 1.5E3')).toEqual(cmp('machineramusage', 'lt', { kind: 'number', value: 1500 }));
    expect(parseFilter('priority eq -0')).toEqual(cmp('priority', 'eq', { kind: 'number', value: 0 }));
  });

  it('reads unquoted GUIDs (lower-cased), also ones that start with letters', () => {
    expect(parseFilter('_machineid_value eq 1B2C3D4E-0000-1111-2222-33334444AAAA')).toEqual(
      cmp('_machineid_value', 'eq', { kind: 'guid', value: '1b2c3d4e-0000-1111-2222-33334444aaaa' }),
    );
    expect(parseFilter('_machineid_value eq abcdef01-0000-1111-2222-333344445555')).toEqual(
      cmp('_machineid_value', 'eq', { kind: 'guid', value: 'abcdef01-0000-1111-2222-333344445555' }),
    );
  });

  it('reads unquoted ISO date-times and dates, normalised to UTC toISOString form', () => {
    const dt = (text: string): unknown => (parseFilter(`createdon gt ${text}`) as { value: unknown }).value;
    expect(dt('2026-01-01T00:00:00Z')).toEqual({ kind: 'datetime', value: '2026-01-01T00:00:00.000Z' });
    expect(dt('2026-01-01T02:30:00+02:00')).toEqual({ kind: 'datetime', value: '2026-01-01T00:30:00.000Z' });
    expect(dt('2026-01-01T00:00Z')).toEqual({ kind: 'datetime', value: '2026-01-01T00:00:00.000Z' });
    expect(dt('2026-01-01T00:00:00.1234567Z')).toEqual({ kind: 'datetime', value: '2026-01-01T00:00:00.123Z' });
    expect(dt('2024-02-29')).toEqual({ kind: 'datetime', value: '2024-02-29T00:00:00.000Z' });
  });

  it.each([
    ['2026-02-30T00:00:00Z', 'not a valid date-time'],
    ['2025-02-29', 'not a valid date-time'],
    ['2026-13-01T00:00:00Z', 'not a valid date-time'],
    ['2026-01-01T24:00:00Z', 'not a valid date-time'],
    ['2026-01-01T10:00:00', 'not a valid date-time'],
    ['0000-01-01T00:00:00+01:00', 'not a valid date-time'],
  ])('refuses the date-time %s', (text, message) => {
    expect(parseError(`createdon gt ${text}`).message).toContain(message);
  });
});

describe('parseFilter: logic and functions', () => {
  const a = cmp('priority', 'eq', { kind: 'number', value: 1 });
  const b = cmp('priority', 'eq', { kind: 'number', value: 2 });
  const c = cmp('priority', 'eq', { kind: 'number', value: 3 });

  it('gives and precedence over or, left-associative', () => {
    expect(parseFilter('priority eq 1 or priority eq 2 and priority eq 3')).toEqual({ kind: 'or', left: a, right: { kind: 'and', left: b, right: c } });
    expect(parseFilter('priority eq 1 and priority eq 2 and priority eq 3')).toEqual({ kind: 'and', left: { kind: 'and', left: a, right: b }, right: c });
  });

  it('honours parentheses and not', () => {
    expect(parseFilter('(priority eq 1 or priority eq 2) and priority eq 3')).toEqual({ kind: 'and', left: { kind: 'or', left: a, right: b }, right: c });
    expect(parseFilter('not (priority eq 1)')).toEqual({ kind: 'not', operand: a });
    expect(parseFilter('not priority eq 1 and priority eq 2')).toEqual({ kind: 'and', left: { kind: 'not', operand: a }, right: b });
    expect(parseFilter('not not priority eq 1')).toEqual({ kind: 'not', operand: { kind: 'not', operand: a } });
  });

  it.each(['contains', 'startswith', 'endswith'])('reads %s(field, text)', (name) => {
    expect(parseFilter(`${name}(name, 'a''b')`)).toEqual({ kind: 'function', name, property: 'name', value: "a'b" });
    expect(parseFilter(`not ${name.toUpperCase()}( name ,'x' )`)).toEqual({ kind: 'not', operand: { kind: 'function', name, property: 'name', value: 'x' } });
  });

  it('prints a tree that parses back to itself', () => {
    const tree = parseFilter("not (contains(name,'it''s') or priority ge -1.5) and createdon lt 2026-01-01T00:00:00Z and _machineid_value ne null");
    expect(parseFilter(printFilter(tree))).toEqual(tree);
  });
});

describe('parseFilter: errors', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['name eq', 'expected a literal value, found the end of the expression'],
    ['name', "expected a comparison operator (eq ne gt ge lt le) after 'name'"],
    ['name like 5', "found 'like' at position 5"],
    ["name eq 'open", 'unterminated string literal starting at position 8'],
    ['priority eq 1 priority eq 2', "expected 'and', 'or' or the end of the expression, found 'priority' at position 14"],
    ['(priority eq 1', "expected ')', found the end of the expression"],
    ['priority eq 1)', "found ')' at position 13"],
    ['priority eq 1 and', "expected a property name, a function or '(', found the end of the expression"],
    ['eq eq eq', "found 'eq' at position 6"],
    ['priority eq name', "found 'name' at position 12 (comparing two properties is not supported)"],
    ['5 eq priority', 'expected a property name, a function or'],
    ["substringof('a', name)", "unknown function 'substringof' at position 0"],
    ['contains(name)', "expected ',' in contains()"],
    ['contains(name, 5)', 'contains() needs a string literal second'],
    ["contains('x', name)", 'contains() needs a property name first'],
    ['priority eq 1e999', "number '1e999' at position 12 is out of range"],
    ['priority eq 12abc', 'unexpected "12abc" at position 12'],
    ['priority eq 1.', 'unexpected "1." at position 12'],
    ['name eq "x"', 'unexpected "\\"x\\"" at position 8'],
    ['Microsoft.Dynamics.CRM.In(PropertyName=@p1)', 'unexpected'],
    ['name eq @p1', "parameter alias '@p1' at position 8 has no value (add '&@p1=<value>' to the query)"],
    ['name eq @', 'unexpected "@" at position 8'],
  ])('refuses %j: %s', (text, message) => {
    const err = parseError(text);
    expect(err.code).toBe('InvalidFilter');
    expect(err.status).toBe(400);
    expect(err.message).toContain(message);
  });

  it(`refuses filters longer than ${MAX_FILTER_LENGTH} characters`, () => {
    const text = `name eq '${'x'.repeat(MAX_FILTER_LENGTH)}'`;
    expect(parseError(text).message).toContain(`longer than ${MAX_FILTER_LENGTH} characters`);
  });

  it(`refuses nesting deeper than ${MAX_FILTER_DEPTH} without exhausting the stack`, () => {
    const ok = `${'('.repeat(MAX_FILTER_DEPTH)}priority eq 1${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(parseFilter(ok)).toEqual(cmp('priority', 'eq', { kind: 'number', value: 1 }));
    const deep = `${'('.repeat(4000)}priority eq 1${')'.repeat(4000)}`;
    expect(parseError(deep).message).toContain(`nested deeper than ${MAX_FILTER_DEPTH} levels`);
    expect(parseError(`${'not '.repeat(2000)}priority eq 1`).message).toContain('nested deeper');
  });

  it(`refuses more than ${MAX_FILTER_TERMS} conditions`, () => {
    const terms = (n: number): string => Array.from({ length: n }, (_, i) => `seq eq ${i}`).join(' or ');
    expect(() => parseFilter(terms(MAX_FILTER_TERMS))).not.toThrow();
    expect(parseError(terms(MAX_FILTER_TERMS + 1)).message).toContain(`more than ${MAX_FILTER_TERMS} conditions`);
  });
});

describe('parseFilter: parameter aliases', () => {
  const aliases = new Map([
    ['@p1', '4'],
    ['@name', "'it''s'"],
    ['@g', '3F1C7A2E-0000-4000-8000-000000000001'],
    ['@none', 'null'],
    ['@prop', 'priority'],
    ['@two', '1 2'],
    ['@nested', '@p1'],
  ]);
  const parse = (text: string) => parseFilter(text, aliases);
  function aliasError(text: string, map: ReadonlyMap<string, string> = aliases): string {
    try {
      parseFilter(text, map);
    } catch (err) {
      expect(err).toMatchObject({ code: 'InvalidFilter', status: 400 });
      return (err as ODataError).message;
    }
    throw new Error(`${text} parsed`);
  }

  it('stand for literal values in comparisons and string functions', () => {
    expect(parse('statuscode eq @p1 and _machinegroupid_value eq @g')).toEqual({
      kind: 'and',
      left: cmp('statuscode', 'eq', { kind: 'number', value: 4 }),
      right: cmp('_machinegroupid_value', 'eq', { kind: 'guid', value: '3f1c7a2e-0000-4000-8000-000000000001' }),
    });
    expect(parse('name ne @none')).toEqual(cmp('name', 'ne', { kind: 'null' }));
    expect(parse('contains(name,@name)')).toEqual({ kind: 'function', name: 'contains', property: 'name', value: "it's" });
  });

  it('are refused where no value or no single literal stands behind them', () => {
    expect(aliasError('priority eq @missing')).toContain("parameter alias '@missing' at position 12 has no value");
    expect(aliasError('@p1 eq priority')).toContain('parameter aliases stand for values only');
    expect(aliasError('priority eq @prop')).toContain('comparing two properties is not supported');
    expect(aliasError('priority eq @two')).toContain("the value of parameter alias '@two' must be one literal");
    expect(aliasError('priority eq @nested')).toContain("the value of parameter alias '@nested' must be one literal");
    expect(aliasError('contains(name,@p1)')).toContain('contains() needs a string literal second');
  });

  it(`count their values toward the ${MAX_FILTER_LENGTH}-character limit`, () => {
    const long = new Map([['@s', `'${'x'.repeat(MAX_FILTER_LENGTH / 2)}'`]]);
    expect(parseFilter('name eq @s', long)).toMatchObject({ kind: 'compare' });
    expect(aliasError('name eq @s or name eq @s', long)).toContain(`longer than ${MAX_FILTER_LENGTH} characters`);
  });
});
