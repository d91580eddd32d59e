import { describe, expect, it } from 'vitest';
import { flowmachineEntity, flowsessionEntity, type EntityDef } from '../../../../shared/records/index.js';
import { checkFilter, parseFilter } from '../../../../orchestrator/odata/index.js';
import { filterToPg, isGuidText, numbered, orderToPg } from '../../../../orchestrator/store/postgres-filter.js';

/** What a `$filter` becomes in PostgreSQL's dialect (what it selects is in test/integration/orchestrator/store/filter-semantics.ts). */
const sql = (text: string, entity: EntityDef = flowsessionEntity) => filterToPg(entity, checkFilter(entity, parseFilter(text)));

const G1 = '1b2c3d4e-0000-1111-2222-333344445555';

describe('filterToPg: the SQL it writes', () => {
  it('keeps every comparison two-valued: eq is false and ne true on a null column', () => {
    expect(sql('priority eq 5')).toEqual({ sql: '("priority" = ?::bigint AND "priority" IS NOT NULL)', params: [5] });
    expect(sql('priority ne 5')).toEqual({ sql: '("priority" <> ?::bigint OR "priority" IS NULL)', params: [5] });
    expect(sql('priority gt 5')).toEqual({ sql: '("priority" > ?::bigint AND "priority" IS NOT NULL)', params: [5] });
    expect(sql('priority eq null')).toEqual({ sql: '"priority" IS NULL', params: [] });
  });

  it('compares a GUID as uuid (any case, index usable), strings by lower(), fractions as doubles, times as timestamptz', () => {
    expect(sql(`_machineid_value eq ${G1.toUpperCase()}`)).toEqual({ sql: '("_machineid_value" = ?::uuid AND "_machineid_value" IS NOT NULL)', params: [G1] });
    expect(sql("name eq 'A'").sql).toBe('(lower("name") = lower(?::text) AND "name" IS NOT NULL)');
    expect(sql('priority lt 1.5').sql).toBe('("priority" < ?::double precision AND "priority" IS NOT NULL)');
    expect(sql('createdon ge 2026-01-01T00:00:00Z')).toEqual({ sql: '("createdon" >= ?::timestamptz AND "createdon" IS NOT NULL)', params: ['2026-01-01T00:00:00.000Z'] });
    expect(sql('connected eq true', flowmachineEntity).params).toEqual([true]);
  });

  it('matches string functions with ILIKE, wildcards escaped', () => {
    expect(sql("contains(name,'50%')")).toEqual({ sql: `("name" ILIKE ? ESCAPE '\\' AND "name" IS NOT NULL)`, params: ['%50\\%%'] });
  });

  it('orders strings by lower() in code point order, nulls first ascending and last descending', () => {
    expect(orderToPg(flowsessionEntity, [{ field: 'name', descending: false }, { field: 'priority', descending: true }])).toBe('lower("name") COLLATE "C" ASC NULLS FIRST, "priority" DESC NULLS LAST');
  });

  it('numbers placeholders in order; knows a GUID text', () => {
    expect(numbered('a = ? AND b = ?', 3)).toBe('a = $3 AND b = $4');
    expect(isGuidText(G1.toUpperCase())).toBe(true);
    for (const bad of [`{${G1}}`, G1.replaceAll('-', ''), `urn:uuid:${G1}`, `${G1} `]) expect(isGuidText(bad)).toBe(false);
  });
});
