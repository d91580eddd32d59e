import { describe, expect, it } from 'vitest';
import { flowmachineEntity, flowsessionEntity, type EntityDef } from '../../../../shared/records/index.js';
import { checkFilter, ODataError, parseFilter } from '../../../../orchestrator/odata/index.js';
import { filterToSql, orderToSql } from '../../../../orchestrator/store/sqlite-filter.js';

/** What a `$filter` becomes: parsed and checked by orchestrator/odata/, compiled by the SQLite dialect. */
const sql = (text: string, entity: EntityDef = flowsessionEntity): { sql: string; params: unknown[] } => filterToSql(entity, checkFilter(entity, parseFilter(text)));

function sqlError(text: string, entity: EntityDef = flowsessionEntity): ODataError {
  try {
    sql(text, entity);
  } catch (err) {
    expect(err).toBeInstanceOf(ODataError);
    return err as ODataError;
  }
  throw new Error(`${text} compiled`);
}

const G1 = '1b2c3d4e-0000-1111-2222-333344445555';
const G2 = 'abcdef01-0000-1111-2222-333344445555';

describe('filterToSql: the SQL it writes', () => {
  it('compares with parameters, IS / IS NOT for eq / ne, NOCASE for strings and GUIDs', () => {
    expect(sql('priority eq 5')).toEqual({ sql: '"priority" IS ?', params: [5] });
    expect(sql("name ne 'a'")).toEqual({ sql: '"name" IS NOT ? COLLATE NOCASE', params: ['a'] });
    expect(sql(`_machineid_value eq ${G1.toUpperCase()}`)).toEqual({ sql: '"_machineid_value" IS ? COLLATE NOCASE', params: [G1] });
    expect(sql('priority gt 5')).toEqual({ sql: '("priority" > ? AND "priority" IS NOT NULL)', params: [5] });
    expect(sql('createdon le 2026-01-01T00:00:00Z')).toEqual({ sql: '("createdon" <= ? AND "createdon" IS NOT NULL)', params: ['2026-01-01T00:00:00.000Z'] });
  });

  it('turns eq null / ne null into IS NULL / IS NOT NULL', () => {
    expect(sql('statuscode eq null')).toEqual({ sql: '"statuscode" IS NULL', params: [] });
    expect(sql('_machineid_value ne null')).toEqual({ sql: '"_machineid_value" IS NOT NULL', params: [] });
  });

  it('stores booleans as 0 / 1', () => {
    expect(sql('connected eq true', flowmachineEntity)).toEqual({ sql: '"connected" IS ?', params: [1] });
    expect(sql('paused ne false', flowmachineEntity)).toEqual({ sql: '"paused" IS NOT ?', params: [0] });
  });

  it('accepts a quoted GUID too (lower-cased)', () => {
    expect(sql(`_machineid_value eq '${G2.toUpperCase()}'`).params).toEqual([G2]);
  });

  it('escapes LIKE wildcards in contains / startswith / endswith', () => {
    expect(sql("contains(name,'50%_a\\b')")).toEqual({ sql: `("name" LIKE ? ESCAPE '\\' AND "name" IS NOT NULL)`, params: ['%50\\%\\_a\\\\b%'] });
    expect(sql("startswith(name,'x')").params).toEqual(['x%']);
    expect(sql("endswith(name,'x')").params).toEqual(['%x']);
  });

  it('combines with AND / OR / NOT in parentheses', () => {
    expect(sql("not (priority eq 1 or name eq 'a') and statuscode eq 3")).toEqual({
      sql: '((NOT ("priority" IS ? OR "name" IS ? COLLATE NOCASE)) AND "statuscode" IS ?)',
      params: [1, 'a', 3],
    });
  });
});

describe('orderToSql', () => {
  it('sorts strings case-insensitively, in the given directions', () => {
    expect(orderToSql(flowsessionEntity, [{ field: 'name', descending: true }, { field: 'priority', descending: false }])).toBe('"name" COLLATE NOCASE DESC, "priority" ASC');
  });
});

describe('checkFilter: errors', () => {
  it.each([
    ['nope eq 1', "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.flowsession'."],
    ["contains(nope,'x')", "Could not find a property named 'nope'"],
    ['__proto__ eq 1', "Could not find a property named '__proto__'"],
    ['constructor eq 1', "Could not find a property named 'constructor'"],
    ['Name eq 1', "Could not find a property named 'Name'"],
  ])('unknown property %j', (text, message) => {
    const err = sqlError(text);
    expect(err.code).toBe('UnknownProperty');
    expect(err.message).toContain(message);
  });

  it('treats hidden fields as unknown', () => {
    expect(sqlError("credentialhash eq 'x'", flowmachineEntity).message).toBe(
      "Could not find a property named 'credentialhash' on type 'Microsoft.Dynamics.CRM.flowmachine'.",
    );
  });

  it.each([
    ["priority eq '5'", "Found operand types 'Edm.Int32' (property 'priority') and 'Edm.String' for operator kind 'Equal'"],
    ['name eq 5', "'Edm.String' (property 'name') and 'Edm.Decimal'"],
    ['name gt true', "'Edm.String' (property 'name') and 'Edm.Boolean' for operator kind 'GreaterThan'"],
    ["createdon gt '2026-01-01T00:00:00Z'", "'Edm.DateTimeOffset' (property 'createdon') and 'Edm.String'"],
    ["_machineid_value eq 'not-a-guid'", "'Edm.Guid' (property '_machineid_value') and 'Edm.String'"],
    ['_machineid_value eq 5', "'Edm.Guid' (property '_machineid_value') and 'Edm.Decimal'"],
    [`name eq ${G1}`, "'Edm.String' (property 'name') and 'Edm.Guid'"],
    ['priority gt null', "and 'null' for operator kind 'GreaterThan'"],
    ['priority eq 2026-01-01', "'Edm.Int32' (property 'priority') and 'Edm.DateTimeOffset'"],
    ['contains(priority,\'1\')', "contains() needs a string property, but 'priority' is 'Edm.Int32'"],
    [`startswith(_machineid_value,'1b')`, "startswith() needs a string property, but '_machineid_value' is 'Edm.Guid'"],
  ])('type mismatch %j', (text, message) => {
    const err = sqlError(text);
    expect(err.code).toBe('TypeMismatch');
    expect(err.message).toContain(message);
  });

  it('refuses ordering comparisons and numbers on booleans', () => {
    expect(sqlError('connected gt false', flowmachineEntity).message).toContain("'Edm.Boolean' (property 'connected') and 'Edm.Boolean' for operator kind 'GreaterThan'");
    expect(sqlError('connected eq 1', flowmachineEntity).code).toBe('TypeMismatch');
  });
});
