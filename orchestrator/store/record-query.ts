import type { FilterNode } from '../odata/filter-ast.js';

/** A record of any entity on the Web API's generic path: every field of its EntityDef, null when unset. */
export type StoredRecord = Readonly<Record<string, unknown>>;

export interface OrderItem {
  readonly field: string;
  readonly descending: boolean;
}

/**
 * A query of the Web API's generic path, engine-neutral: each store's dialect compiles it. The filter is the OData
 * `$filter` tree already checked against the entity (orchestrator/odata/filter-check.ts); field names come from the
 * EntityDef.
 */
export interface RecordQuery {
  readonly filter?: FilterNode;
  /** Then by key, always: pages are stable. */
  readonly orderBy?: readonly OrderItem[];
  readonly top?: number;
  readonly skip?: number;
}
