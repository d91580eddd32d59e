import { describe, expect, it } from 'vitest';
import { flowmachineEntity, flowsessionEntity, type EntityDef } from '../../../../shared/records/index.js';
import { compileQuery, encodeSkipToken, ODataError, type CompiledQuery } from '../../../../orchestrator/odata/index.js';

const compile = (qs: string, entity: EntityDef = flowsessionEntity): CompiledQuery => compileQuery(entity, new URLSearchParams(qs));

function compileError(qs: string, entity: EntityDef = flowsessionEntity): ODataError {
  try {
    compile(qs, entity);
  } catch (err) {
    expect(err).toBeInstanceOf(ODataError);
    return err as ODataError;
  }
  throw new Error(`${qs} compiled`);
}

describe('compileQuery', () => {
  it('gives an empty query for no options and refuses every non-$ parameter by name', () => {
    expect(compile('')).toEqual({ count: false });
    expect(compileError('api-version=9.2')).toMatchObject({ code: 'UnknownQueryOption', message: expect.stringContaining("'api-version'") });
    expect(compileError('fetchXml=%3Cfetch%2F%3E')).toMatchObject({ code: 'UnsupportedQueryParameter', message: expect.stringContaining("'fetchXml'") });
    expect(compileError('$top=1&@1p=1')).toMatchObject({ code: 'InvalidQueryOption', message: expect.stringContaining("The parameter alias '@1p' is not a valid name") });
    expect(compileError('$filter=priority eq @p&@p=1&@p=2')).toMatchObject({ code: 'InvalidQueryOption', message: expect.stringContaining("'@p' was specified more than once") });
  });

  it('resolves parameter aliases in $filter; an unused alias is allowed', () => {
    expect(compile('$filter=statuscode eq @p1&@p1=4&@unused=1').filter).toEqual({ kind: 'compare', op: 'eq', property: 'statuscode', value: { kind: 'number', value: 4 } });
  });

  it('compiles every option together', () => {
    const q = compile("$select=name,statuscode&$filter=statuscode eq 3 and contains(name,'x')&$orderby=priority desc,createdon&$top=10&$skip=20&$count=true");
    expect(q).toEqual({
      select: ['name', 'statuscode'],
      filter: {
        kind: 'and',
        left: { kind: 'compare', op: 'eq', property: 'statuscode', value: { kind: 'number', value: 3 } },
        right: { kind: 'function', name: 'contains', property: 'name', value: 'x' },
      },
      orderBy: [
        { field: 'priority', descending: true },
        { field: 'createdon', descending: false },
      ],
      top: 10,
      skip: 20,
      count: true,
    });
  });

  it('decodes URL-encoded values (as URLSearchParams does)', () => {
    const value = (qs: string): unknown => {
      const f = compile(qs).filter;
      return f?.kind === 'compare' ? f.value : undefined;
    };
    expect(value('%24filter=name%20eq%20%27a%2Bb%27')).toEqual({ kind: 'string', value: 'a+b' });
    expect(value("$filter=name+eq+'a'")).toEqual({ kind: 'string', value: 'a' });
  });

  it('keeps $select order, drops repeats, trims spaces and treats * as everything', () => {
    expect(compile('$select= statuscode , name,statuscode').select).toEqual(['statuscode', 'name']);
    expect(compile('$select=*').select).toBeUndefined();
  });

  it('orders strings case-insensitively and accepts ASC/DESC in any case', () => {
    expect(compile('$orderby=name DESC, priority Asc').orderBy).toEqual([
      { field: 'name', descending: true },
      { field: 'priority', descending: false },
    ]);
  });

  it('takes the offset of a $skiptoken', () => {
    expect(compile(`$skiptoken=${encodeSkipToken(5000)}`).skip).toBe(5000);
  });

  it('accepts $top bounds 1 and 5000 and $count=false', () => {
    expect(compile('$top=1').top).toBe(1);
    expect(compile('$top=5000').top).toBe(5000);
    expect(compile('$count=false').count).toBe(false);
    expect(compile('$skip=0').skip).toBe(0);
  });

  it('accepts option names in any case', () => {
    expect(compile('$TOP=3').top).toBe(3);
  });
});

describe('compileQuery: errors', () => {
  it.each([
    ['$expand=machineid', 'UnknownQueryOption', "The query option '$expand' is not supported."],
    ['$apply=groupby((name))', 'UnknownQueryOption', "'$apply' is not supported"],
    ['$foo=1', 'UnknownQueryOption', "The query parameter '$foo' is not supported (supported: $select, $filter, $orderby, $top, $skip, $skiptoken, $count)."],
    ['$top=1&$top=2', 'InvalidQueryOption', "The query option '$top' was specified more than once."],
    ['$top=0', 'InvalidQueryOption', "The value '0' of $top is not valid: it must be an integer from 1 to 5000."],
    ['$top=5001', 'InvalidQueryOption', 'from 1 to 5000'],
    ['$top=-1', 'InvalidQueryOption', 'from 1 to 5000'],
    ['$top=1.5', 'InvalidQueryOption', 'from 1 to 5000'],
    ['$top=ten', 'InvalidQueryOption', "The value 'ten' of $top"],
    ['$top=', 'InvalidQueryOption', 'of $top is not valid'],
    ['$skip=-1', 'InvalidQueryOption', 'of $skip is not valid'],
    ['$skip=99999999999999999', 'InvalidQueryOption', 'of $skip is not valid'],
    ['$skip=1&$skiptoken=b286MA', 'InvalidQueryOption', 'Use either $skip or $skiptoken, not both.'],
    ['$skiptoken=garbage!', 'InvalidSkipToken', "The $skiptoken 'garbage!' is not valid"],
    ['$count=yes', 'InvalidQueryOption', "$count must be true or false, got 'yes'."],
    ['$select=name,nope', 'UnknownProperty', "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.flowsession'."],
    ['$select=name,,statuscode', 'InvalidQueryOption', 'has an empty property name'],
    ['$select=', 'InvalidQueryOption', 'has an empty property name'],
    ['$orderby=nope', 'UnknownProperty', "Could not find a property named 'nope'"],
    ['$orderby=name sideways', 'InvalidQueryOption', "$orderby item 'name sideways' must be 'property', 'property asc' or 'property desc'."],
    ['$orderby=name asc desc', 'InvalidQueryOption', 'must be'],
    ['$orderby=name,', 'InvalidQueryOption', 'has an empty item'],
    ['$orderby=name,name desc', 'InvalidQueryOption', "$orderby names 'name' more than once."],
    ['$filter=', 'InvalidFilter', 'the expression is empty'],
    ['$filter=priority eq', 'InvalidFilter', 'expected a literal value'],
    ["$filter=priority eq 'x'", 'TypeMismatch', 'incompatible types'],
  ])('%s → %s', (qs, code, message) => {
    const err = compileError(qs);
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.message).toContain(message);
  });

  it('refuses hidden fields in $select, $orderby and $filter', () => {
    for (const qs of ['$select=credentialhash', '$orderby=credentialhash', "$filter=credentialhash eq 'x'"]) {
      expect(compileError(qs, flowmachineEntity).message).toBe("Could not find a property named 'credentialhash' on type 'Microsoft.Dynamics.CRM.flowmachine'.");
    }
  });
});
