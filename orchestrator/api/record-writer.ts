import type { TObject } from '@sinclair/typebox';
import type { EntityDef } from '../../shared/records/index.js';
import { validator, type Validator } from '../../shared/validate.js';
import { StoreError, type Row } from '../store/store.js';
import { badRequest, methodNotAllowed } from './api-error.js';
import { checkLookupTargets, normalizeLookups, resolveBinds } from './lookups.js';
import { allowedMethods, policyOf, type EntityPolicy, type WriteDeps } from './policies/index.js';

/** A write done inside a transaction, and what to do once it committed (tell the queue …). */
export interface Written {
  readonly row: Row;
  readonly after: () => void;
}

export function asObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

/**
 * Creates, updates and deletes records through their EntityPolicy: binds resolved, the shared write schema
 * checked, lookups checked, the policy's rules applied. Callers own the transaction (one record or a whole bulk).
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

  /** The stored record; 404 when missing, 412 when `ifVersion` (from If-Match) is not its version. */
  private current(entity: EntityDef, id: string, ifVersion: number | undefined): Row {
    const row = this.deps.store.get(entity, id);
    if (!row) throw new StoreError('NotFound', `${entity.name} ${id} does not exist`);
    if (ifVersion !== undefined && row['versionnumber'] !== ifVersion) {
      throw new StoreError('PreconditionFailed', `${entity.name} ${id} has changed: its ETag is W/"${String(row['versionnumber'])}"`);
    }
    return row;
  }

  create(entity: EntityDef, body: unknown, what = 'body'): Written {
    const policy = this.allowed(entity, 'POST');
    const raw = resolveBinds(entity, asObject(body, what), what);
    policy.precheck?.(raw, what);
    let values = normalizeLookups(entity, this.validate(policy.createSchema!, raw, what));
    checkLookupTargets(this.deps.store, entity, values, what);
    values = policy.prepareCreate?.(this.deps, values, what) ?? values;
    const row = this.deps.store.insert(entity, values);
    return { row, after: () => policy.afterCreate?.(this.deps, row) };
  }

  update(entity: EntityDef, id: string, body: unknown, ifVersion: number | undefined, what = 'body'): Written {
    const policy = this.allowed(entity, 'PATCH');
    const raw = resolveBinds(entity, asObject(body, what), what);
    policy.precheck?.(raw, what);
    let patch = normalizeLookups(entity, this.validate(policy.updateSchema!, raw, what));
    checkLookupTargets(this.deps.store, entity, patch, what);
    const current = this.current(entity, id, ifVersion);
    patch = policy.prepareUpdate?.(this.deps, current, patch, what) ?? patch;
    const row = Object.keys(patch).length > 0 ? this.deps.store.update(entity, id, patch, ifVersion) : current;
    return { row, after: () => policy.afterUpdate?.(this.deps, row) };
  }

  remove(entity: EntityDef, id: string, ifVersion: number | undefined): Written {
    const policy = this.allowed(entity, 'DELETE');
    const current = this.current(entity, id, ifVersion);
    policy.checkDelete?.(this.deps, current);
    policy.deleteDependents?.(this.deps, current);
    this.deps.store.delete(entity, id, ifVersion);
    return { row: current, after: () => policy.afterDelete?.(this.deps, current) };
  }
}
