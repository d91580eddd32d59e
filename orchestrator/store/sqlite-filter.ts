import type { EntityDef, FieldDef } from '../../shared/records/index.js';
import type { CompareOp, FilterLiteral, FilterNode } from '../odata/filter-ast.js';
import type { OrderItem } from './record-query.js';

/** A SQL fragment with `?` placeholders and their values. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const SQL_OP: Record<CompareOp, string> = { eq: 'IS', ne: 'IS NOT', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** A field name as a quoted SQL identifier (names come from the EntityDef, never from the request). */
export const column = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function fieldOf(entity: EntityDef, property: string): FieldDef {
  const field = Object.hasOwn(entity.fields, property) ? entity.fields[property] : undefined;
  if (!field) throw new Error(`${entity.name} has no field '${property}' (filters reach the store checked)`);
  return field;
}

/** The SQLite parameter of a literal: booleans are stored 0/1, everything else as it is. */
function paramOf(lit: Exclude<FilterLiteral, { kind: 'null' }>): unknown {
  return lit.kind === 'boolean' ? (lit.value ? 1 : 0) : lit.value;
}

const isText = (field: FieldDef): boolean => field.edm === 'Edm.String' || field.edm === 'Edm.Guid';

function compareToSql(entity: EntityDef, property: string, op: CompareOp, lit: FilterLiteral): SqlFragment {
  const field = fieldOf(entity, property);
  const col = column(property);
  if (lit.kind === 'null') return { sql: `${col} ${op === 'eq' ? 'IS NULL' : 'IS NOT NULL'}`, params: [] };
  const collate = isText(field) ? ' COLLATE NOCASE' : '';
  // eq/ne use IS / IS NOT so that null rows compare as false/true (OData's two-valued logic, also under `not`).
  if (op === 'eq' || op === 'ne') return { sql: `${col} ${SQL_OP[op]} ?${collate}`, params: [paramOf(lit)] };
  return { sql: `(${col} ${SQL_OP[op]} ?${collate} AND ${col} IS NOT NULL)`, params: [paramOf(lit)] };
}

/** Escapes LIKE wildcards so the text matches literally (with `ESCAPE '\'`). */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `LIKE` pattern and condition: SQLite's LIKE ignores ASCII case, like Dataverse's string comparisons. */
export function likeToSql(property: string, pattern: string): SqlFragment {
  const col = column(property);
  return { sql: `(${col} LIKE ? ESCAPE '\\' AND ${col} IS NOT NULL)`, params: [pattern] };
}

/** SQLite boolean expression (with `?` placeholders, values in `params`) for a `$filter` tree checked against `entity`. */
export function filterToSql(entity: EntityDef, node: FilterNode): SqlFragment {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const left = filterToSql(entity, node.left);
      const right = filterToSql(entity, node.right);
      return { sql: `(${left.sql} ${node.kind.toUpperCase()} ${right.sql})`, params: [...left.params, ...right.params] };
    }
    case 'not': {
      const inner = filterToSql(entity, node.operand);
      return { sql: `(NOT ${inner.sql})`, params: inner.params };
    }
    case 'compare':
      return compareToSql(entity, node.property, node.op, node.value);
    case 'function': {
      const escaped = escapeLike(node.value);
      return likeToSql(node.property, node.name === 'contains' ? `%${escaped}%` : node.name === 'startswith' ? `${escaped}%` : `%${escaped}`);
    }
  }
}

/** SQLite ORDER BY list of an order-by list; strings sort case-insensitively. */
export function orderToSql(entity: EntityDef, order: readonly OrderItem[]): string {
  return order
    .map(({ field, descending }) => `${column(field)}${fieldOf(entity, field).edm === 'Edm.String' ? ' COLLATE NOCASE' : ''} ${descending ? 'DESC' : 'ASC'}`)
    .join(', ');
}
