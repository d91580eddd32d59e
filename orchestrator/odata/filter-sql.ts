import type { EntityDef, FieldDef } from '../../shared/records/index.js';
import type { CompareOp, FilterLiteral, FilterNode, StringFunction } from './filter-ast.js';
import { column, requireField } from './entity-fields.js';
import { ODataError, ODataErrorCode } from './odata-error.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const SQL_OP: Record<CompareOp, string> = { eq: 'IS', ne: 'IS NOT', gt: '>', ge: '>=', lt: '<', le: '<=' };
const OP_KIND: Record<CompareOp, string> = { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' };
const LITERAL_EDM: Record<FilterLiteral['kind'], string> = {
  string: 'Edm.String',
  number: 'Edm.Decimal',
  boolean: 'Edm.Boolean',
  null: 'null',
  guid: 'Edm.Guid',
  datetime: 'Edm.DateTimeOffset',
};
const GUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const mismatch = (property: string, field: FieldDef, lit: FilterLiteral, op: CompareOp): ODataError =>
  new ODataError(
    ODataErrorCode.TypeMismatch,
    `A binary operator with incompatible types was detected. Found operand types '${field.edm}' (property '${property}') and '${LITERAL_EDM[lit.kind]}' for operator kind '${OP_KIND[op]}'.`,
  );

/** The SQL parameter for `lit` compared with a field of type `field.edm`, or undefined when the types do not fit. */
function paramFor(field: FieldDef, lit: FilterLiteral): unknown {
  switch (field.edm) {
    case 'Edm.String':
      return lit.kind === 'string' ? lit.value : undefined;
    case 'Edm.Guid':
      if (lit.kind === 'guid') return lit.value;
      // Lenient: a quoted GUID is accepted too, as many clients send it.
      return lit.kind === 'string' && GUID_TEXT.test(lit.value) ? lit.value.toLowerCase() : undefined;
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Double':
      return lit.kind === 'number' ? lit.value : undefined;
    case 'Edm.Boolean':
      return lit.kind === 'boolean' ? (lit.value ? 1 : 0) : undefined;
    case 'Edm.DateTimeOffset':
      return lit.kind === 'datetime' ? lit.value : undefined;
  }
}

const isText = (field: FieldDef): boolean => field.edm === 'Edm.String' || field.edm === 'Edm.Guid';

function compareToSql(entity: EntityDef, property: string, op: CompareOp, lit: FilterLiteral): SqlFragment {
  const field = requireField(entity, property);
  const col = column(property);
  if (lit.kind === 'null') {
    if (op === 'eq') return { sql: `${col} IS NULL`, params: [] };
    if (op === 'ne') return { sql: `${col} IS NOT NULL`, params: [] };
    throw mismatch(property, field, lit, op);
  }
  const param = paramFor(field, lit);
  if (param === undefined) throw mismatch(property, field, lit, op);
  if (field.edm === 'Edm.Boolean' && op !== 'eq' && op !== 'ne') throw mismatch(property, field, lit, op);
  const collate = isText(field) ? ' COLLATE NOCASE' : '';
  // eq/ne use IS / IS NOT so that null rows compare as false/true (OData's two-valued logic, also under `not`).
  if (op === 'eq' || op === 'ne') return { sql: `${col} ${SQL_OP[op]} ?${collate}`, params: [param] };
  return { sql: `(${col} ${SQL_OP[op]} ?${collate} AND ${col} IS NOT NULL)`, params: [param] };
}

/** Escapes LIKE wildcards so the text matches literally (with `ESCAPE '\'`). */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function functionToSql(entity: EntityDef, name: StringFunction, property: string, text: string): SqlFragment {
  const field = requireField(entity, property);
  if (field.edm !== 'Edm.String') {
    throw new ODataError(ODataErrorCode.TypeMismatch, `${name}() needs a string property, but '${property}' is '${field.edm}'.`);
  }
  const escaped = escapeLike(text);
  const pattern = name === 'contains' ? `%${escaped}%` : name === 'startswith' ? `${escaped}%` : `%${escaped}`;
  const col = column(property);
  // SQLite's LIKE ignores ASCII case, like Dataverse's string comparisons.
  return { sql: `(${col} LIKE ? ESCAPE '\\' AND ${col} IS NOT NULL)`, params: [pattern] };
}

/** SQL boolean expression (with `?` placeholders, values in `params`) for a `$filter` tree over `entity`. */
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
    case 'function':
      return functionToSql(entity, node.name, node.property, node.value);
  }
}
