import { TERMINAL_STATUSES } from '../../shared/option-sets.js';
import type { FilterNode } from '../odata/index.js';

const guid = (value: string) => ({ kind: 'guid', value }) as const;

/** `_parentsessionid_value eq <parent>`: a session's children (what its token may read). */
export const childrenOf = (parentId: string): FilterNode => ({ kind: 'compare', op: 'eq', property: '_parentsessionid_value', value: guid(parentId) });

/** `childrenOf(parent)` that have not ended (every terminal status excluded); without orphans when `orphans` is false. */
export function openChildrenOf(parentId: string, orphans = true): FilterNode {
  let node: FilterNode = childrenOf(parentId);
  for (const s of TERMINAL_STATUSES) node = { kind: 'and', left: node, right: { kind: 'compare', op: 'ne', property: 'statuscode', value: { kind: 'number', value: s } } };
  if (!orphans) node = { kind: 'and', left: node, right: { kind: 'compare', op: 'ne', property: 'orphan', value: { kind: 'boolean', value: true } } };
  return node;
}
