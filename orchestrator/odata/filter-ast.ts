/** The `$filter` syntax tree: what the parser yields, the printer prints and the SQL compiler reads. */

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type StringFunction = 'contains' | 'startswith' | 'endswith';

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
export const STRING_FUNCTIONS: readonly StringFunction[] = ['contains', 'startswith', 'endswith'];

/** A literal value. GUIDs are lower case; date-times are normalised to `toISOString()` form (what the store keeps). */
export type FilterLiteral =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'guid'; readonly value: string }
  | { readonly kind: 'datetime'; readonly value: string };

export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly property: string; readonly value: FilterLiteral }
  | { readonly kind: 'function'; readonly name: StringFunction; readonly property: string; readonly value: string };
