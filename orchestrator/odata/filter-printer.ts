import type { FilterLiteral, FilterNode } from './filter-ast.js';

/** OData text of a literal; `parseFilter` reads it back to the same literal. */
export function printLiteral(lit: FilterLiteral): string {
  switch (lit.kind) {
    case 'string':
      return `'${lit.value.replaceAll("'", "''")}'`;
    case 'number':
      return String(lit.value);
    case 'boolean':
      return String(lit.value);
    case 'null':
      return 'null';
    case 'guid':
    case 'datetime':
      return lit.value;
  }
}

/** OData `$filter` text of a syntax tree (fully parenthesised); `parseFilter(printFilter(n))` equals `n`. */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${printFilter(node.left)}) ${node.kind} (${printFilter(node.right)})`;
    case 'not':
      return `not (${printFilter(node.operand)})`;
    case 'compare':
      return `${node.property} ${node.op} ${printLiteral(node.value)}`;
    case 'function':
      return `${node.name}(${node.property},${printLiteral({ kind: 'string', value: node.value })})`;
  }
}
