import type { TObject } from '@sinclair/typebox';
import type { EntityDef } from '../../../shared/records/index.js';
import type { AgentControl, SessionQueue } from '../../context.js';
import type { Repositories, StoredRecord } from '../../store/store.js';

/** A record's values on the Web API's generic write path (any entity, by its EntityDef). */
export type Row = StoredRecord;

/**
 * What the per-entity rules may touch. Inside the write's transaction (`prepare*`, `check*`, `deleteDependents`)
 * `store` is the transaction's repositories; in `after*`, the store's own.
 */
export interface WriteDeps {
  readonly store: Repositories;
  readonly queue: SessionQueue;
  /** Pause/resume/drain commands to the connected agents. */
  readonly control: AgentControl;
  /** The schedule runner: told after a schedule was written, so its timer follows the new due times. */
  readonly schedules: ScheduleWaker;
  readonly now: () => Date;
}

export interface ScheduleWaker {
  wake(): Promise<void>;
}

/**
 * How the Web API writes one entity set: which verbs exist (a missing schema = verb not allowed), and the rules
 * around the shared write schemas. `prepare*` run inside the write's transaction; `after*` after it committed. `R` is
 * the entity's stored record (`SessionRecord` …): what `current` and `row` are.
 */
export interface EntityPolicy<R extends StoredRecord = StoredRecord> {
  readonly entity: EntityDef;
  readonly createSchema?: TObject;
  readonly updateSchema?: TObject;
  readonly deletable: boolean;
  /** Checks that must come before schema validation (e.g. a size that earns 413 rather than 400). */
  precheck?(body: Readonly<Record<string, unknown>>, what: string): void;
  prepareCreate?(deps: WriteDeps, values: Row, what: string): Row | Promise<Row>;
  prepareUpdate?(deps: WriteDeps, current: R, patch: Row, what: string): Row | Promise<Row>;
  checkDelete?(deps: WriteDeps, current: R): void | Promise<void>;
  /** Extra rows to delete with the record (same transaction). */
  deleteDependents?(deps: WriteDeps, current: R): void | Promise<void>;
  afterCreate?(deps: WriteDeps, row: R): void | Promise<void>;
  /** `requested`: the PATCH's validated values (before `prepareUpdate`), e.g. a statuscode that is a command. */
  afterUpdate?(deps: WriteDeps, row: R, requested: Row): void | Promise<void>;
  afterDelete?(deps: WriteDeps, row: R): void | Promise<void>;
}

/** Allowed HTTP methods on a record and on the collection of `policy`. */
export function allowedMethods(policy: EntityPolicy): { collection: string[]; record: string[] } {
  return {
    collection: ['GET', ...(policy.createSchema ? ['POST'] : [])],
    record: ['GET', ...(policy.updateSchema ? ['PATCH'] : []), ...(policy.deletable ? ['DELETE'] : [])],
  };
}
