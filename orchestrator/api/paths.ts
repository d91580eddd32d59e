import { OPERATIONS } from '../../shared/api-surface.js';
import { entities, type EntityDef } from '../../shared/records/index.js';
import { badRequest, notFound } from './api-error.js';

/** What a path under `/api/data/v9.2/` addresses. */
export type ApiTarget =
  | { readonly kind: 'service' }
  | { readonly kind: 'metadata' }
  | { readonly kind: 'function'; readonly name: UnboundFunction }
  | { readonly kind: 'collection'; readonly entity: EntityDef }
  | { readonly kind: 'count'; readonly entity: EntityDef }
  | { readonly kind: 'record'; readonly entity: EntityDef; readonly id: string }
  | { readonly kind: 'record-action'; readonly entity: EntityDef; readonly id: string; readonly action: string }
  | { readonly kind: 'collection-action'; readonly entity: EntityDef; readonly action: string }
  /** `<set>(<id>)/<column>/$value`: a file column's bytes (orchestrator/api/file-columns.ts). */
  | { readonly kind: 'file'; readonly entity: EntityDef; readonly id: string; readonly column: string };

/** The unbound functions, called by bare name (`WhoAmI` or `WhoAmI()`); test/integration/orchestrator/api/api-surface.test.ts checks them against shared/api-surface.ts. */
export const UNBOUND_FUNCTIONS = ['WhoAmI'] as const;
export type UnboundFunction = (typeof UNBOUND_FUNCTIONS)[number];
const isUnboundFunction = (name: string): name is UnboundFunction => (UNBOUND_FUNCTIONS as readonly string[]).includes(name);

export const ACTION_NAMESPACE = 'Microsoft.Dynamics.CRM.';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/;

export const isGuid = (text: string): boolean => GUID.test(text);

export function entityOf(set: string): EntityDef {
  if (!Object.hasOwn(entities, set)) throw notFound(`there is no entity set '${set.slice(0, 100)}' (sets: ${Object.keys(entities).join(', ')})`, 'UnknownEntitySet');
  return entities[set]!;
}

/** `(<guid>)` or `(<key>=<guid>)` → the lower-cased guid. */
function keyOf(entity: EntityDef, raw: string): string {
  const value = raw.includes('=') ? raw.slice(raw.indexOf('=') + 1) : raw;
  const name = raw.includes('=') ? raw.slice(0, raw.indexOf('=')) : entity.key;
  if (name !== entity.key || !isGuid(value)) throw badRequest(`'${raw.slice(0, 100)}' is not a valid key of ${entity.set}: expected a GUID`, 'InvalidKey');
  return value.toLowerCase();
}

/** The action a segment names, when shared/api-surface.ts binds it there (to a record of `entity`, or to any collection). */
function actionName(segment: string, entity: EntityDef, to: 'record' | 'collection'): string {
  if (!segment.startsWith(ACTION_NAMESPACE)) throw notFound(`unknown path segment '${segment.slice(0, 100)}' (actions are named '${ACTION_NAMESPACE}<Action>')`, 'NoResource');
  const name = segment.slice(ACTION_NAMESPACE.length);
  const bound = OPERATIONS.some((op) => op.name === name && op.kind === 'Action' && (op.binding.to === 'record' ? to === 'record' && op.binding.set === entity.set : op.binding.to === to));
  if (!bound) throw notFound(`there is no action '${name.slice(0, 100)}' bound to ${to === 'record' ? 'a record' : 'the collection'} of ${entity.set}`, 'UnknownAction');
  return name;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the path segment '${segment.slice(0, 100)}' is not valid percent-encoding`);
  }
}

/** Parses the path after `/api/data/v9.2/` (already without query string). */
export function parseApiPath(rest: string): ApiTarget {
  const segments = rest.split('/').filter((s, i, all) => s !== '' || i < all.length - 1).map(decodeSegment);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return { kind: 'service' };
  const [first = '', second, ...more] = segments;
  if (first === '$metadata' && second === undefined) return { kind: 'metadata' };
  const m = SEGMENT.exec(first);
  const fileValue = m?.[2] !== undefined && more.length === 1 && more[0] === '$value';
  if (!m || (more.length > 0 && !fileValue)) throw notFound(`no resource at '${rest.slice(0, 200)}'`, 'NoResource');
  if (isUnboundFunction(m[1]!) && (m[2] === undefined || m[2] === '') && second === undefined) return { kind: 'function', name: m[1] };
  const entity = entityOf(m[1]!);
  if (m[2] === undefined) {
    if (second === undefined) return { kind: 'collection', entity };
    if (second === '$count') return { kind: 'count', entity };
    return { kind: 'collection-action', entity, action: actionName(second, entity, 'collection') };
  }
  const id = keyOf(entity, m[2]);
  if (second === undefined) return { kind: 'record', entity, id };
  if (fileValue) return { kind: 'file', entity, id, column: second };
  return { kind: 'record-action', entity, id, action: actionName(second, entity, 'record') };
}
