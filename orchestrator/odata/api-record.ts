import { entities, type EntityDef, type FieldDef } from '../../shared/records/index.js';
import { visibleField, visibleFieldNames } from './entity-fields.js';

export const FORMATTED_VALUE = 'OData.Community.Display.V1.FormattedValue';
export const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';
export const ASSOCIATED_NAV_PROPERTY = 'Microsoft.Dynamics.CRM.associatednavigationproperty';

export interface ApiRecordOptions {
  /** Validated `$select` names; undefined = every visible field. */
  select?: string[];
  /** The `odata.include-annotations` preference (e.g. `*`, or a comma list with `Ns.*` wildcards and `-` exclusions). */
  annotations?: string;
}

/** Whether the `odata.include-annotations` value asks for the annotation `term` (OData 4.0 §8.2.8.4 patterns). */
export function wantsAnnotation(preference: string | undefined, term: string): boolean {
  if (!preference) return false;
  const matches = (pattern: string): boolean =>
    pattern === '*' || pattern === term || (pattern.endsWith('.*') && term.startsWith(pattern.slice(0, -1)));
  let wanted = false;
  for (const raw of preference.split(',')) {
    const pattern = raw.trim();
    if (pattern.startsWith('-')) {
      if (matches(pattern.slice(1))) return false;
    } else if (matches(pattern)) wanted = true;
  }
  return wanted;
}

/** The logical name of the entity an entity set holds (`workflows` → `workflow`). */
const logicalNameOf = (set: string): string => (Object.hasOwn(entities, set) ? entities[set]!.name : set);

function apiValue(field: FieldDef, value: unknown): unknown {
  if (value === undefined) return null;
  if (field.edm === 'Edm.Boolean' && typeof value === 'number') return value !== 0;
  return value;
}

function annotate(out: Record<string, unknown>, name: string, field: FieldDef, value: unknown, preference: string | undefined): void {
  if (value === null) return;
  if (field.optionSet && typeof value === 'number' && wantsAnnotation(preference, FORMATTED_VALUE)) {
    const label = field.optionSet.labels.get(value);
    if (label !== undefined) out[`${name}@${FORMATTED_VALUE}`] = label;
  }
  if (field.lookup) {
    if (wantsAnnotation(preference, ASSOCIATED_NAV_PROPERTY)) out[`${name}@${ASSOCIATED_NAV_PROPERTY}`] = field.lookup.nav;
    if (wantsAnnotation(preference, LOOKUP_LOGICAL_NAME)) out[`${name}@${LOOKUP_LOGICAL_NAME}`] = logicalNameOf(field.lookup.target);
  }
}

/**
 * A stored row as the Web API returns it: hidden fields dropped, `$select` order kept (the key always included,
 * as in Dataverse), `@odata.etag` from `versionnumber`, and the asked-for annotations before each value.
 */
export function toApiRecord(entity: EntityDef, row: Record<string, unknown>, opts: ApiRecordOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const version = row['versionnumber'];
  if (typeof version === 'number' || typeof version === 'bigint' || typeof version === 'string') out['@odata.etag'] = `W/"${version}"`;
  const names = opts.select ? [...opts.select.filter((n) => visibleField(entity, n)), entity.key] : visibleFieldNames(entity);
  for (const name of new Set(names)) {
    const field = visibleField(entity, name);
    if (!field) continue;
    const value = apiValue(field, row[name]);
    annotate(out, name, field, value, opts.annotations);
    out[name] = value;
  }
  return out;
}
