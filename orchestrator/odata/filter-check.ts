import type { EntityDef, FieldDef } from '../../shared/records/index.js';
import type { CompareOp, FilterLiteral, FilterNode, StringFunction } from './filter-ast.js';
import { requireField } from './entity-fields.js';
import { ODataError, ODataErrorCode } from './odata-error.js';

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

/** `lit` as compared with a field of type `field.edm`, or undefined when the types do not fit. */
function literalFor(field: FieldDef, lit: FilterLiteral): FilterLiteral | undefined {
  switch (field.edm) {
    case 'Edm.String':
      return lit.kind === 'string' ? lit : undefined;
    case 'Edm.Guid':
      if (lit.kind === 'guid') return lit;
      // Lenient: a quoted GUID is accepted too, as many clients send it.
      return lit.kind === 'string' && GUID_TEXT.test(lit.value) ? { kind: 'guid', value: lit.value.toLowerCase() } : undefined;
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Double':
      return lit.kind === 'number' ? lit : undefined;
    case 'Edm.Boolean':
      return lit.kind === 'boolean' ? lit : undefined;
    case 'Edm.DateTimeOffset':
      return lit.kind === 'datetime' ? lit : undefined;
  }
}

function checkCompare(entity: EntityDef, property: string, op: CompareOp, lit: FilterLiteral): FilterNode {
  const field = requireField(entity, property);
  if (lit.kind === 'null') {
    if (op === 'eq' || op === 'ne') return { kind: 'compare', op, property, value: lit };
    throw mismatch(property, field, lit, op);
  }
  const value = literalFor(field, lit);
  if (value === undefined) throw mismatch(property, field, lit, op);
  if (field.edm === 'Edm.Boolean' && op !== 'eq' && op !== 'ne') throw mismatch(property, field, lit, op);
  return { kind: 'compare', op, property, value };
}

function checkFunction(entity: EntityDef, name: StringFunction, property: string, text: string): FilterNode {
  const field = requireField(entity, property);
  if (field.edm !== 'Edm.String') {
    throw new ODataError(ODataErrorCode.TypeMismatch, `${name}() needs a string property, but '${property}' is '${field.edm}'.`);
  }
  return { kind: 'function', name, property, value: text };
}

/**
 * A `$filter` tree checked against `entity`: every property a visible field, every literal of its field's type (a
 * quoted GUID becomes a GUID literal), booleans and null only with eq/ne, functions on strings. What the store's
 * dialect compiles (orchestrator/store/) needs no further checks. Throws ODataError.
 */
export function checkFilter(entity: EntityDef, node: FilterNode): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, left: checkFilter(entity, node.left), right: checkFilter(entity, node.right) };
    case 'not':
      return { kind: 'not', operand: checkFilter(entity, node.operand) };
    case 'compare':
      return checkCompare(entity, node.property, node.op, node.value);
    case 'function':
      return checkFunction(entity, node.name, node.property, node.value);
  }
}
