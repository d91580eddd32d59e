import type { EntityDef, FieldDef } from '../../shared/records/index.js';
import { ODataError, ODataErrorCode } from './odata-error.js';

/** The visible (not `hidden`) field `name` of `entity`, or undefined. Safe for names like `__proto__`. */
export function visibleField(entity: EntityDef, name: string): FieldDef | undefined {
  if (!Object.hasOwn(entity.fields, name)) return undefined;
  const def = entity.fields[name];
  return def && !def.hidden ? def : undefined;
}

/** Like `visibleField`, but an unknown or hidden name is the Dataverse error that names the property. */
export function requireField(entity: EntityDef, name: string): FieldDef {
  const def = visibleField(entity, name);
  if (!def) throw new ODataError(ODataErrorCode.UnknownProperty, `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${entity.name}'.`);
  return def;
}

/** The field names the API shows, in declaration order. */
export function visibleFieldNames(entity: EntityDef): string[] {
  return Object.keys(entity.fields).filter((name) => visibleField(entity, name) !== undefined);
}
