import type { EntityDef, FieldDef } from '../../shared/records/index.js';
import type { CompareOp, FilterLiteral, FilterNode } from '../odata/filter-ast.js';
import { pgType, ident } from './postgres-schema.js';
import type { OrderItem } from './record-query.js';
import { escapeLike, type SqlFragment } from './sqlite-filter.js';

/**
 * The PostgreSQL dialect of the Web API's queries, with the SQLite store's meaning (sqlite-filter.ts): strings and
 * GUIDs compare case-insensitively, `eq null` / `ne null` test for null, and every condition is two-valued (a null
 * column makes a comparison false, never unknown, so `not` turns it true, as SQLite's `IS` / `IS NOT` do). Fragments
 * use `?` placeholders; `numbered` turns them into PostgreSQL's `$n`.
 */

/** `?` placeholders → `$1`, `$2` … (the fragments hold no other `?`: every value is a parameter). */
export function numbered(sql: string, first = 1): string {
  let n = first;
  return sql.replace(/\?/g, () => `$${n++}`);
}

/** A GUID in its canonical text form (any case): what PostgreSQL's `uuid` and SQLite's text compare alike. */
export const isGuidText = (text: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);

function fieldOf(entity: EntityDef, property: string): FieldDef {
  const field = Object.hasOwn(entity.fields, property) ? entity.fields[property] : undefined;
  if (!field) throw new Error(`${entity.name} has no field '${property}' (filters reach the store checked)`);
  return field;
}

const SQL_OP: Record<Exclude<CompareOp, 'eq' | 'ne'>, string> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

/** The column and the parameter of a comparison, typed so that PostgreSQL compares them as SQLite would. */
function operands(field: FieldDef, col: string, lit: Exclude<FilterLiteral, { kind: 'null' }>): { left: string; right: string; value: unknown } {
  const value = lit.value;
  switch (field.edm) {
    case 'Edm.String':
      return { left: `lower(${col})`, right: 'lower(?::text)', value: String(value) };
    case 'Edm.Guid':
      // A text that is no GUID matches no GUID; compared as text it does so without PostgreSQL's 22P02.
      return typeof value === 'string' && isGuidText(value)
        ? { left: col, right: '?::uuid', value }
        : { left: `${col}::text`, right: 'lower(?::text)', value: String(value) };
    case 'Edm.Int32':
    case 'Edm.Int64':
      // An integer keeps the integer index usable; a fraction compares as a double.
      return { left: col, right: Number.isInteger(value) ? '?::bigint' : '?::double precision', value };
    default:
      return { left: col, right: `?::${pgType(field)}`, value };
  }
}

function compareToSql(entity: EntityDef, property: string, op: CompareOp, lit: FilterLiteral): SqlFragment {
  const field = fieldOf(entity, property);
  const col = ident(property);
  if (lit.kind === 'null') return { sql: `${col} ${op === 'eq' ? 'IS NULL' : 'IS NOT NULL'}`, params: [] };
  const { left, right, value } = operands(field, col, lit);
  if (op === 'eq') return { sql: `(${left} = ${right} AND ${col} IS NOT NULL)`, params: [value] };
  if (op === 'ne') return { sql: `(${left} <> ${right} OR ${col} IS NULL)`, params: [value] };
  return { sql: `(${left} ${SQL_OP[op]} ${right} AND ${col} IS NOT NULL)`, params: [value] };
}

/** `ILIKE` pattern and condition: case-insensitive like SQLite's LIKE and Dataverse's string comparisons. */
export function likeToSql(entity: EntityDef, property: string, pattern: string): SqlFragment {
  const col = ident(property);
  const text = fieldOf(entity, property).edm === 'Edm.String' ? col : `${col}::text`;
  return { sql: `(${text} ILIKE ? ESCAPE '\\' AND ${col} IS NOT NULL)`, params: [pattern] };
}

/** PostgreSQL boolean expression (with `?` placeholders, values in `params`) for a `$filter` tree checked against `entity`. */
export function filterToPg(entity: EntityDef, node: FilterNode): SqlFragment {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const left = filterToPg(entity, node.left);
      const right = filterToPg(entity, node.right);
      return { sql: `(${left.sql} ${node.kind.toUpperCase()} ${right.sql})`, params: [...left.params, ...right.params] };
    }
    case 'not': {
      const inner = filterToPg(entity, node.operand);
      return { sql: `(NOT ${inner.sql})`, params: inner.params };
    }
    case 'compare':
      return compareToSql(entity, node.property, node.op, node.value);
    case 'function': {
      const escaped = escapeLike(node.value);
      return likeToSql(entity, node.property, node.name === 'contains' ? `%${escaped}%` : node.name === 'startswith' ? `${escaped}%` : `%${escaped}`);
    }
  }
}

/**
 * PostgreSQL ORDER BY list of an order-by list, sorted as SQLite sorts: strings case-insensitively by code point
 * (`lower(…) COLLATE "C"`, whatever the database's collation), nulls first ascending and last descending.
 */
export function orderToPg(entity: EntityDef, order: readonly OrderItem[]): string {
  return order
    .map(({ field, descending }) => {
      const col = fieldOf(entity, field).edm === 'Edm.String' ? `lower(${ident(field)}) COLLATE "C"` : ident(field);
      return `${col} ${descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`;
    })
    .join(', ');
}
