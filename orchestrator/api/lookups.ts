import { entities, type EntityDef } from '../../shared/records/index.js';
import type { Repositories } from '../store/store.js';
import type { Row } from './policies/index.js';
import { badRequest } from './api-error.js';
import { isGuid } from './paths.js';

const BIND_SUFFIX = '@odata.bind';
const BIND_VALUE = /(?:^|\/)([A-Za-z_][A-Za-z0-9_]*)\(([^()]+)\)$/;
const ODATA_TYPE = '@odata.type';

/**
 * Turns Dataverse `nav@odata.bind: "/set(id)"` into the lookup field `_nav_value`, and drops an `@odata.type`
 * naming this entity. Everything else is left for the schema to judge.
 */
export function resolveBinds(entity: EntityDef, body: Record<string, unknown>, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === ODATA_TYPE) {
      if (value !== `Microsoft.Dynamics.CRM.${entity.name}`) throw badRequest(`${what}: @odata.type must be 'Microsoft.Dynamics.CRM.${entity.name}'`);
      continue;
    }
    if (!key.endsWith(BIND_SUFFIX)) {
      out[key] = value;
      continue;
    }
    const nav = key.slice(0, -BIND_SUFFIX.length);
    const entry = Object.entries(entity.fields).find(([, f]) => f.lookup?.nav === nav);
    if (!entry) throw badRequest(`${what}: unknown navigation property '${nav}' in '${key}'`);
    const [fieldName, field] = entry;
    const target = field.lookup!.target;
    const m = typeof value === 'string' ? BIND_VALUE.exec(value) : null;
    if (!m || m[1] !== target || !isGuid(m[2]!)) throw badRequest(`${what}: '${key}' must be "/${target}(<guid>)"`);
    if (Object.hasOwn(out, fieldName) || Object.hasOwn(body, fieldName)) throw badRequest(`${what}: '${key}' and '${fieldName}' both set`);
    out[fieldName] = m[2]!.toLowerCase();
  }
  return out;
}

/** Every lookup value in `values` must name an existing record of its target set (400 otherwise). */
export async function checkLookupTargets(tx: Repositories, entity: EntityDef, values: Row, what: string): Promise<void> {
  for (const [name, field] of Object.entries(entity.fields)) {
    const id = values[name];
    if (!field.lookup || typeof id !== 'string') continue;
    const target = entities[field.lookup.target]!;
    if (!(await tx.records.get(target, id))) throw badRequest(`${what}: ${name} ${id} does not exist in ${target.set}`, 'LookupNotFound');
  }
}

/** Lower-cases lookup GUIDs so that filters and joins see one spelling. */
export function normalizeLookups(entity: EntityDef, values: Row): Row {
  const out: Record<string, unknown> = { ...values };
  for (const [name, field] of Object.entries(entity.fields)) {
    if (field.lookup && typeof out[name] === 'string') out[name] = (out[name] as string).toLowerCase();
  }
  return out;
}
