import type { TObject } from '@sinclair/typebox';
import type { EntityDef } from '../../shared/records/index.js';
import { validator, type Validator } from '../../shared/validate.js';
import { StoreError, type Repositories } from '../store/store.js';
import { badRequest, methodNotAllowed } from './api-error.js';
import { noneMatchHits, type Preconditions } from './conditions.js';
import { checkLookupTargets, normalizeLookups, resolveBinds } from './lookups.js';
import { allowedMethods, policyOf, type EntityPolicy, type Row, type WriteDeps } from './policies/index.js';

/** A write done inside a transaction, and what to do once it committed (tell the queue …). */
export interface Written {
  readonly row: Row;
  readonly after: () => Promise<void>;
}

export function asObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

/**
 * Creates, updates and deletes records through their EntityPolicy: binds resolved, the shared write schema
 * checked, lookups checked, the policy's rules applied. Callers own the transaction (one record or a whole bulk) and
 * pass its repositories (`tx`).
 */
export class RecordWriter {
  private readonly validators = new WeakMap<TObject, Validator<unknown>>();

  constructor(private readonly deps: WriteDeps) {}

  private validate(schema: TObject, value: unknown, what: string): Row {
    let v = this.validators.get(schema);
    if (!v) this.validators.set(schema, (v = validator(schema)));
    return v.parse(value, what) as Row;
  }

  /** The entity's policy when it allows `method`; 405 with Allow otherwise. */
  allowed(entity: EntityDef, method: 'POST' | 'PATCH' | 'DELETE'): EntityPolicy {
    const policy = policyOf(entity);
    const ok = method === 'POST' ? policy.createSchema : method === 'PATCH' ? policy.updateSchema : policy.deletable;
    if (!ok) {
      const allow = allowedMethods(policy);
      throw methodNotAllowed(method, method === 'POST' ? entity.set : `a record of ${entity.set}`, method === 'POST' ? allow.collection : allow.record);
    }
    return policy;
  }

  /** The rules' view inside the transaction: its repositories. */
  private inTx(tx: Repositories): WriteDeps {
    return { ...this.deps, store: tx };
  }

  /**
   * The stored record; 404 when missing, 412 when `ifVersion` (from If-Match) is not its version or `ifNoneMatch`
   * (from If-None-Match: `*` prevents an update) matches it.
   */
  private async current(tx: Repositories, entity: EntityDef, id: string, ifVersion: number | undefined, ifNoneMatch?: Preconditions['ifNoneMatch']): Promise<Row> {
    const row = await tx.records.get(entity, id);
    if (!row) throw new StoreError('NotFound', `${entity.name} ${id} does not exist`);
    if (ifVersion !== undefined && row['versionnumber'] !== ifVersion) {
      throw new StoreError('PreconditionFailed', `${entity.name} ${id} has changed: its ETag is W/"${String(row['versionnumber'])}"`);
    }
    if (noneMatchHits(ifNoneMatch, row['versionnumber'])) {
      throw new StoreError('PreconditionFailed', `${entity.name} ${id} exists (W/"${String(row['versionnumber'])}") and If-None-Match refuses to update it`);
    }
    return row;
  }

  /** `id`: the key the record gets (an upsert's PATCH), else a new UUID. */
  async create(tx: Repositories, entity: EntityDef, body: unknown, what = 'body', id?: string): Promise<Written> {
    const policy = this.allowed(entity, 'POST');
    const raw = resolveBinds(entity, asObject(body, what), what);
    policy.precheck?.(raw, what);
    let values = normalizeLookups(entity, this.validate(policy.createSchema!, raw, what));
    await checkLookupTargets(tx, entity, values, what);
    values = (await policy.prepareCreate?.(this.inTx(tx), values, what)) ?? values;
    const row = await tx.records.insert(entity, id === undefined ? values : { ...values, [entity.key]: id });
    return { row, after: async () => policy.afterCreate?.(this.deps, row) };
  }

  async update(tx: Repositories, entity: EntityDef, id: string, body: unknown, pre: Preconditions, what = 'body'): Promise<Written> {
    const ifVersion = typeof pre.ifMatch === 'number' ? pre.ifMatch : undefined;
    const policy = this.allowed(entity, 'PATCH');
    const raw = resolveBinds(entity, asObject(body, what), what);
    policy.precheck?.(raw, what);
    const requested = normalizeLookups(entity, this.validate(policy.updateSchema!, raw, what));
    await checkLookupTargets(tx, entity, requested, what);
    const current = await this.current(tx, entity, id, ifVersion, pre.ifNoneMatch);
    const patch = (await policy.prepareUpdate?.(this.inTx(tx), current, requested, what)) ?? requested;
    const row = Object.keys(patch).length > 0 ? await tx.records.update(entity, id, patch, ifVersion) : current;
    return { row, after: async () => policy.afterUpdate?.(this.deps, row, requested) };
  }

  /**
   * PATCH as Dataverse takes it: an update, or — when the record does not exist, the set allows creating and no
   * `If-Match` asks for an existing one — its creation with that id (create-only columns accepted).
   */
  async upsert(tx: Repositories, entity: EntityDef, id: string, body: unknown, pre: Preconditions): Promise<Written & { readonly created: boolean }> {
    if (pre.ifMatch === undefined && policyOf(entity).createSchema && !(await tx.records.get(entity, id))) {
      return { ...(await this.create(tx, entity, body, 'body', id)), created: true };
    }
    return { ...(await this.update(tx, entity, id, body, pre)), created: false };
  }

  async remove(tx: Repositories, entity: EntityDef, id: string, ifVersion: number | undefined): Promise<Written> {
    const policy = this.allowed(entity, 'DELETE');
    const current = await this.current(tx, entity, id, ifVersion);
    await policy.checkDelete?.(this.inTx(tx), current);
    await policy.deleteDependents?.(this.inTx(tx), current);
    await tx.records.delete(entity, id, ifVersion);
    return { row: current, after: async () => policy.afterDelete?.(this.deps, current) };
  }
}
