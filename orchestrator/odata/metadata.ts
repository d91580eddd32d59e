import { API_ALIAS as ALIAS, API_NAMESPACE, COMPLEX_TYPES, ENTITY_SETS, OPERATIONS, type OperationDef } from '../../shared/api-surface.js';
import type { EntityDef } from '../../shared/records/index.js';
import { visibleField, visibleFieldNames } from './entity-fields.js';

/** Escapes text for an XML attribute value. */
export const xmlAttr = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const entityOfSet = new Map(ENTITY_SETS.map(({ entity }) => [entity.set, entity]));

function entityType(entity: EntityDef): string {
  const lines = [`<EntityType Name="${xmlAttr(entity.name)}" BaseType="${ALIAS}.crmbaseentity">`, `<Key><PropertyRef Name="${xmlAttr(entity.key)}"/></Key>`];
  for (const name of visibleFieldNames(entity)) {
    const field = visibleField(entity, name)!;
    lines.push(`<Property Name="${xmlAttr(name)}" Type="${field.edm}" Nullable="${name === entity.key ? 'false' : 'true'}"/>`);
  }
  for (const name of visibleFieldNames(entity)) {
    const lookup = visibleField(entity, name)!.lookup;
    const target = lookup ? entityOfSet.get(lookup.target) : undefined;
    if (!lookup || !target) continue;
    lines.push(
      `<NavigationProperty Name="${xmlAttr(lookup.nav)}" Type="${ALIAS}.${xmlAttr(target.name)}">` +
        `<ReferentialConstraint Property="${xmlAttr(name)}" ReferencedProperty="${xmlAttr(target.key)}"/></NavigationProperty>`,
    );
  }
  lines.push('</EntityType>');
  return lines.join('\n');
}

function complexType(name: string, properties: Record<string, string>): string {
  const props = Object.entries(properties).map(([p, type]) => `<Property Name="${xmlAttr(p)}" Type="${xmlAttr(type)}" Nullable="false"/>`);
  return `<ComplexType Name="${xmlAttr(name)}">${props.join('')}</ComplexType>`;
}

/** The binding parameter of a bound operation (`entity`, as Dataverse names it), or none. */
function bindingType(op: OperationDef): string | undefined {
  switch (op.binding.to) {
    case 'record':
      return `${ALIAS}.${entityOfSet.get(op.binding.set)!.name}`;
    case 'collection':
      return `Collection(${ALIAS}.crmbaseentity)`;
    case 'unbound':
      return undefined;
  }
}

function operation(op: OperationDef): string {
  const binding = bindingType(op);
  const params = [...(binding ? [{ name: 'entity', type: binding, required: true }] : []), ...Object.entries(op.params).map(([name, p]) => ({ name, ...p }))]
    .map((p) => `<Parameter Name="${xmlAttr(p.name)}" Type="${xmlAttr(p.type)}"${p.required ? ' Nullable="false"' : ''}/>`)
    .join('');
  const returns = op.returns ? `<ReturnType Type="${ALIAS}.${xmlAttr(op.returns)}" Nullable="false"/>` : '';
  return `<${op.kind} Name="${xmlAttr(op.name)}"${binding ? ' IsBound="true"' : ''}>${params}${returns}</${op.kind}>`;
}

/** An unbound operation's import in the container. */
const operationImport = (op: OperationDef): string =>
  op.kind === 'Function' ? `<FunctionImport Name="${xmlAttr(op.name)}" Function="${ALIAS}.${xmlAttr(op.name)}"/>` : `<ActionImport Name="${xmlAttr(op.name)}" Action="${ALIAS}.${xmlAttr(op.name)}"/>`;

/** The `$metadata` CSDL 4.0 document, written from shared/api-surface.ts: entity sets (hidden fields left out), complex types, operations. */
export function metadataDocument(): string {
  const all = ENTITY_SETS.map((s) => s.entity);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    '<edmx:DataServices>',
    `<Schema Namespace="${API_NAMESPACE}" Alias="${ALIAS}" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
    '<EntityType Name="crmbaseentity" Abstract="true"/>',
    ...all.map(entityType),
    ...Object.entries(COMPLEX_TYPES).map(([name, props]) => complexType(name, props)),
    ...OPERATIONS.map(operation),
    '<EntityContainer Name="System">',
    ...all.map((e) => `<EntitySet Name="${xmlAttr(e.set)}" EntityType="${ALIAS}.${xmlAttr(e.name)}"/>`),
    ...OPERATIONS.filter((op) => op.binding.to === 'unbound').map(operationImport),
    '</EntityContainer>',
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
    '',
  ].join('\n');
}
