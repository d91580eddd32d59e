import { entities, type EntityDef } from '../../shared/records/index.js';
import { visibleField, visibleFieldNames } from './entity-fields.js';

const NS = 'Microsoft.Dynamics.CRM';
const ALIAS = 'mscrm';

/** Escapes text for an XML attribute value. */
export const xmlAttr = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Param {
  readonly name: string;
  readonly type: string;
  readonly nullable?: boolean;
}
interface ActionDef {
  readonly name: string;
  readonly binding: string;
  readonly params: readonly Param[];
  readonly returns?: string;
}

/** The bound actions of the Web API (see DESIGN.md "Web API"). */
const ACTIONS: readonly ActionDef[] = [
  {
    name: 'RunDesktopFlow',
    binding: `${ALIAS}.workflow`,
    params: [
      { name: 'runMode', type: 'Edm.String', nullable: false },
      { name: 'runPriority', type: 'Edm.String' },
      { name: 'connectionName', type: 'Edm.String' },
      { name: 'connectionType', type: 'Edm.Int32' },
      { name: 'machineGroupId', type: 'Edm.Guid' },
      { name: 'machineId', type: 'Edm.Guid' },
      { name: 'timeout', type: 'Edm.Int32' },
      { name: 'inputs', type: 'Edm.String' },
      { name: 'callbackUrl', type: 'Edm.String' },
      { name: 'scheduledFor', type: 'Edm.DateTimeOffset' },
    ],
    returns: `${ALIAS}.RunDesktopFlowResponse`,
  },
  { name: 'CancelDesktopFlowRun', binding: `${ALIAS}.flowsession`, params: [] },
  { name: 'TriggerDesktopFlowRunCallback', binding: `${ALIAS}.flowsession`, params: [], returns: `${ALIAS}.TriggerDesktopFlowRunCallbackResponse` },
  { name: 'RotateCallbackSecret', binding: `${ALIAS}.flowmachinegroup`, params: [], returns: `${ALIAS}.RotateCallbackSecretResponse` },
  {
    name: 'CreateMultiple',
    binding: `Collection(${ALIAS}.crmbaseentity)`,
    params: [{ name: 'Targets', type: `Collection(${ALIAS}.crmbaseentity)`, nullable: false }],
    returns: `${ALIAS}.CreateMultipleResponse`,
  },
  { name: 'UpdateMultiple', binding: `Collection(${ALIAS}.crmbaseentity)`, params: [{ name: 'Targets', type: `Collection(${ALIAS}.crmbaseentity)`, nullable: false }] },
  { name: 'DeleteMultiple', binding: `Collection(${ALIAS}.crmbaseentity)`, params: [{ name: 'Targets', type: `Collection(${ALIAS}.crmbaseentity)`, nullable: false }] },
];

const COMPLEX_TYPES = [
  `<ComplexType Name="RunDesktopFlowResponse"><Property Name="flowsessionId" Type="Edm.Guid" Nullable="false"/></ComplexType>`,
  `<ComplexType Name="TriggerDesktopFlowRunCallbackResponse"><Property Name="callbackHttpResponseCode" Type="Edm.Int32" Nullable="false"/></ComplexType>`,
  `<ComplexType Name="RotateCallbackSecretResponse"><Property Name="callbacksecret" Type="Edm.String" Nullable="false"/></ComplexType>`,
  `<ComplexType Name="WhoAmIResponse"><Property Name="BusinessUnitId" Type="Edm.Guid" Nullable="false"/><Property Name="OrganizationId" Type="Edm.Guid" Nullable="false"/><Property Name="UserId" Type="Edm.Guid" Nullable="false"/></ComplexType>`,
  `<ComplexType Name="CreateMultipleResponse"><Property Name="Ids" Type="Collection(Edm.Guid)" Nullable="false"/></ComplexType>`,
];

function entityType(entity: EntityDef): string {
  const lines = [`<EntityType Name="${xmlAttr(entity.name)}" BaseType="${ALIAS}.crmbaseentity">`, `<Key><PropertyRef Name="${xmlAttr(entity.key)}"/></Key>`];
  for (const name of visibleFieldNames(entity)) {
    const field = visibleField(entity, name)!;
    lines.push(`<Property Name="${xmlAttr(name)}" Type="${field.edm}" Nullable="${name === entity.key ? 'false' : 'true'}"/>`);
  }
  for (const name of visibleFieldNames(entity)) {
    const lookup = visibleField(entity, name)!.lookup;
    const target = lookup && Object.hasOwn(entities, lookup.target) ? entities[lookup.target]! : undefined;
    if (!lookup || !target) continue;
    lines.push(
      `<NavigationProperty Name="${xmlAttr(lookup.nav)}" Type="${ALIAS}.${xmlAttr(target.name)}">` +
        `<ReferentialConstraint Property="${xmlAttr(name)}" ReferencedProperty="${xmlAttr(target.key)}"/></NavigationProperty>`,
    );
  }
  lines.push('</EntityType>');
  return lines.join('\n');
}

function action(def: ActionDef): string {
  const params = [{ name: 'entity', type: def.binding, nullable: false }, ...def.params]
    .map((p) => `<Parameter Name="${p.name}" Type="${xmlAttr(p.type)}"${p.nullable === false ? ' Nullable="false"' : ''}/>`)
    .join('');
  const returns = def.returns ? `<ReturnType Type="${xmlAttr(def.returns)}" Nullable="false"/>` : '';
  return `<Action Name="${def.name}" IsBound="true">${params}${returns}</Action>`;
}

/** The unbound functions (orchestrator/api/paths.ts `UNBOUND_FUNCTIONS`), each with its import in the container. */
const FUNCTIONS = [`<Function Name="WhoAmI"><ReturnType Type="${ALIAS}.WhoAmIResponse" Nullable="false"/></Function>`];
const FUNCTION_IMPORTS = [`<FunctionImport Name="WhoAmI" Function="${ALIAS}.WhoAmI"/>`];

/** The `$metadata` CSDL 4.0 document: every entity set (hidden fields left out), the bound actions and the unbound functions. */
export function metadataDocument(): string {
  const all = Object.values(entities);
  const sets = all.map((e) => `<EntitySet Name="${xmlAttr(e.set)}" EntityType="${ALIAS}.${xmlAttr(e.name)}"/>`);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    '<edmx:DataServices>',
    `<Schema Namespace="${NS}" Alias="${ALIAS}" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
    '<EntityType Name="crmbaseentity" Abstract="true"/>',
    ...all.map(entityType),
    ...COMPLEX_TYPES,
    ...ACTIONS.map(action),
    ...FUNCTIONS,
    '<EntityContainer Name="System">',
    ...sets,
    ...FUNCTION_IMPORTS,
    '</EntityContainer>',
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
    '',
  ].join('\n');
}
