import type { TObject } from '@sinclair/typebox';
import type { EntityDef } from '../../../shared/records/index.js';
import type { SessionQueue } from '../../context.js';
import type { Row, Store } from '../../store/store.js';

/** What the per-entity rules may touch. */
export interface WriteDeps {
  readonly store: Store;
  readonly queue: SessionQueue;
  readonly now: () => Date;
}

/**
 * How the Web API writes one entity set: which verbs exist (a missing schema = verb not allowed), and the rules
 * around the shared write schemas. `prepare*` run inside the write's transaction; `after*` after it committed.
 */
export interface EntityPolicy {
  readonly entity: EntityDef;
  readonly createSchema?: TObject;
  readonly updateSchema?: TObject;
  readonly deletable: boolean;
  /** Checks that must come before schema validation (e.g. a size that earns 413 rather than 400). */
  precheck?(body: Readonly<Record<string, unknown>>, what: string): void;
  prepareCreate?(deps: WriteDeps, values: Row, what: string): Row;
  prepareUpdate?(deps: WriteDeps, current: Row, patch: Row, what: string): Row;
  checkDelete?(deps: WriteDeps, current: Row): void;
  /** Extra rows to delete with the record (same transaction). */
  deleteDependents?(deps: WriteDeps, current: Row): void;
  afterCreate?(deps: WriteDeps, row: Row): void;
  afterUpdate?(deps: WriteDeps, row: Row): void;
  afterDelete?(deps: WriteDeps, row: Row): void;
}

/** Allowed HTTP methods on a record and on the collection of `policy`. */
export function allowedMethods(policy: EntityPolicy): { collection: string[]; record: string[] } {
  return {
    collection: ['GET', ...(policy.createSchema ? ['POST'] : [])],
    record: ['GET', ...(policy.updateSchema ? ['PATCH'] : []), ...(policy.deletable ? ['DELETE'] : [])],
  };
}
