import { BulkDeleteIdsRequest, BulkTargetsRequest, type BulkIdsResponse } from '../../shared/api-actions.js';
import type { EntityDef } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import { ApiError, badRequest, toApiError } from './api-error.js';
import { isGuid } from './paths.js';
import type { Repositories } from '../store/store.js';
import { asObject, type RecordWriter, type Written } from './record-writer.js';

export const BULK_ACTIONS = ['CreateMultiple', 'UpdateMultiple', 'DeleteMultiple'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
export const isBulkAction = (name: string): name is BulkAction => (BULK_ACTIONS as readonly string[]).includes(name);

const targetsRequest = validator(BulkTargetsRequest);
const idsRequest = validator(BulkDeleteIdsRequest);

/** Runs `fn` for item `index`; its error names the item (`Targets[3]: …`) and keeps its status (a 500 stays hidden). */
async function item<T>(label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = toApiError(err);
    if (e.status >= 500) throw err;
    throw new ApiError(e.status, e.code, e.message.includes(label) ? e.message : `${label}: ${e.message}`, e.headers);
  }
}

function keyOfTarget(entity: EntityDef, target: Record<string, unknown>, label: string): { id: string; rest: Record<string, unknown> } {
  const { [entity.key]: id, ...rest } = target;
  if (typeof id !== 'string' || !isGuid(id)) throw badRequest(`${label}: each target needs its key '${entity.key}' (a GUID)`);
  return { id: id.toLowerCase(), rest };
}

function deleteIds(entity: EntityDef, body: Record<string, unknown>): string[] {
  if (Object.hasOwn(body, 'Ids')) return idsRequest.parse(body, 'DeleteMultiple body').Ids.map((id) => id.toLowerCase());
  const { Targets } = targetsRequest.parse(body, 'DeleteMultiple body');
  return Targets.map((t, i) => {
    const label = `Targets[${i}]`;
    const { id, rest } = keyOfTarget(entity, t, label);
    const extra = Object.keys(rest).filter((k) => k !== '@odata.type');
    if (extra.length > 0) throw badRequest(`${label}: unknown property '${extra[0]}' (a DeleteMultiple target holds only '${entity.key}')`);
    return id;
  });
}

/**
 * Does one bulk action's writes, all of them or (on the first bad item) none: the caller runs this inside a
 * store transaction and calls `after` once it committed.
 */
export async function bulkWrites(writer: RecordWriter, tx: Repositories, entity: EntityDef, action: BulkAction, rawBody: unknown): Promise<Written & { response: BulkIdsResponse }> {
  const body = asObject(rawBody ?? {}, `${action} body`);
  const written: Written[] = [];
  if (action === 'DeleteMultiple') {
    const ids = deleteIds(entity, body);
    const list = Object.hasOwn(body, 'Ids') ? 'Ids' : 'Targets';
    for (const [i, id] of ids.entries()) written.push(await item(`${list}[${i}]`, () => writer.remove(tx, entity, id, undefined)));
    return { row: {}, response: { Ids: ids }, after: () => afterAll(written) };
  }
  const { Targets } = targetsRequest.parse(body, `${action} body`);
  for (const [i, target] of Targets.entries()) {
    const label = `Targets[${i}]`;
    if (action === 'CreateMultiple') written.push(await item(label, () => writer.create(tx, entity, target, label)));
    else {
      written.push(
        await item(label, () => {
          const { id, rest } = keyOfTarget(entity, target, label);
          return writer.update(tx, entity, id, rest, {}, label);
        }),
      );
    }
  }
  return { row: {}, response: { Ids: written.map((w) => String(w.row[entity.key])) }, after: () => afterAll(written) };
}

/** The after-effects of every item, in item order. */
async function afterAll(written: readonly Written[]): Promise<void> {
  for (const w of written) await w.after();
}
