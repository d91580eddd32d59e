import type { Static } from '@sinclair/typebox';
import type { BulkDeleteIdsRequest, BulkTargetsRequest, RunDesktopFlowRequest } from './api-actions.js';
import {
  backgroundoperationEntity,
  flowlogEntity,
  flowmachineEntity,
  flowmachinegroupEntity,
  flowsessionEntity,
  scheduleEntity,
  workflowEntity,
  type EntityDef,
} from './records/index.js';

/**
 * What the Web API serves, as one table: the entity sets and the operations (actions and functions) with their
 * parameters, bindings and return types, each marked Dataverse's or flowhost's extension. orchestrator/odata/metadata.ts
 * writes `$metadata` from it; the dispatch (orchestrator/api/) is checked against it by
 * test/integration/orchestrator/api/api-surface.test.ts, and docs/api.md's "What the API serves" by
 * test/unit/api-doc.test.ts. To add an operation: its entry here, its handler, its row in docs/api.md.
 */

/** Where a name comes from: Microsoft's Dataverse Web API, or flowhost's extension beside it. */
export type Origin = 'dataverse' | 'flowhost';

export const API_NAMESPACE = 'Microsoft.Dynamics.CRM';
export const API_ALIAS = 'mscrm';

export interface EntitySetDef {
  readonly entity: EntityDef;
  readonly origin: Origin;
}

/** Every entity set, in `$metadata` order. */
export const ENTITY_SETS: readonly EntitySetDef[] = [
  { entity: flowsessionEntity, origin: 'dataverse' },
  { entity: flowmachineEntity, origin: 'dataverse' },
  { entity: flowmachinegroupEntity, origin: 'dataverse' },
  { entity: workflowEntity, origin: 'dataverse' },
  { entity: flowlogEntity, origin: 'dataverse' },
  { entity: backgroundoperationEntity, origin: 'dataverse' },
  { entity: scheduleEntity, origin: 'flowhost' },
];

/** A parameter's EDM type as CSDL writes it; `mscrm.` names a type of the namespace. */
export interface ParameterDef {
  readonly type: string;
  /** `Nullable="false"`: the parameter must be given. */
  readonly required?: true;
  readonly origin: Origin;
}

/**
 * How an operation is called: bound to one record of `set` (`<set>(<id>)/Microsoft.Dynamics.CRM.<name>`), bound to
 * the collection of any set (`<set>/Microsoft.Dynamics.CRM.<name>`), or unbound (`<name>` at the service root).
 */
export type Binding = { readonly to: 'record'; readonly set: string } | { readonly to: 'collection' } | { readonly to: 'unbound' };

export interface OperationDef {
  readonly name: string;
  readonly kind: 'Action' | 'Function';
  readonly binding: Binding;
  /** In CSDL order (after the binding parameter). */
  readonly params: Readonly<Record<string, ParameterDef>>;
  /** A complex type of COMPLEX_TYPES; none for an answer without a body (204) or with the bulk `Ids`. */
  readonly returns?: keyof typeof COMPLEX_TYPES;
  readonly origin: Origin;
}

/** The complex types the operations return: property → EDM type (every one `Nullable="false"`). */
export const COMPLEX_TYPES = {
  RunDesktopFlowResponse: { flowsessionId: 'Edm.Guid' },
  TriggerDesktopFlowRunCallbackResponse: { callbackHttpResponseCode: 'Edm.Int32' },
  RotateCallbackSecretResponse: { callbacksecret: 'Edm.String' },
  WhoAmIResponse: { BusinessUnitId: 'Edm.Guid', OrganizationId: 'Edm.Guid', UserId: 'Edm.Guid' },
  CreateMultipleResponse: { Ids: 'Collection(Edm.Guid)' },
} as const satisfies Record<string, Record<string, string>>;

const dv = (type: string, required?: true): ParameterDef => ({ type, origin: 'dataverse', ...(required ? { required } : {}) });
const fh = (type: string): ParameterDef => ({ type, origin: 'flowhost' });

/** RunDesktopFlow's parameters: exactly the properties its validator (shared/api-actions.ts) accepts. */
const RUN_DESKTOP_FLOW_PARAMS = {
  runMode: dv('Edm.String', true),
  runPriority: dv('Edm.String'),
  connectionName: dv('Edm.String'),
  connectionType: dv('Edm.Int32'),
  timeout: dv('Edm.Int32'),
  inputs: dv('Edm.String'),
  callbackUrl: dv('Edm.String'),
  machineGroupId: fh('Edm.Guid'),
  machineId: fh('Edm.Guid'),
  scheduledFor: fh('Edm.DateTimeOffset'),
  sessionUser: fh('Edm.String'),
  correlationId: fh('Edm.String'),
} as const satisfies Record<keyof RunDesktopFlowRequest, ParameterDef>;

const TARGETS = { Targets: dv(`Collection(${API_ALIAS}.crmbaseentity)`, true) } as const satisfies Record<keyof BulkTargetsRequest, ParameterDef>;
/** DeleteMultiple takes `Targets` or flowhost's `Ids`: one of the two, so neither is required on its own. */
const DELETE_TARGETS = {
  Targets: dv(`Collection(${API_ALIAS}.crmbaseentity)`),
  ...({ Ids: fh('Collection(Edm.Guid)') } as const satisfies Record<keyof Static<typeof BulkDeleteIdsRequest>, ParameterDef>),
};

/** Every action and function. */
export const OPERATIONS: readonly OperationDef[] = [
  { name: 'RunDesktopFlow', kind: 'Action', binding: { to: 'record', set: 'workflows' }, params: RUN_DESKTOP_FLOW_PARAMS, returns: 'RunDesktopFlowResponse', origin: 'dataverse' },
  { name: 'CancelDesktopFlowRun', kind: 'Action', binding: { to: 'record', set: 'flowsessions' }, params: {}, origin: 'dataverse' },
  {
    name: 'TriggerDesktopFlowRunCallback',
    kind: 'Action',
    binding: { to: 'record', set: 'flowsessions' },
    params: {},
    returns: 'TriggerDesktopFlowRunCallbackResponse',
    origin: 'dataverse',
  },
  { name: 'RotateCallbackSecret', kind: 'Action', binding: { to: 'record', set: 'flowmachinegroups' }, params: {}, returns: 'RotateCallbackSecretResponse', origin: 'flowhost' },
  { name: 'CreateMultiple', kind: 'Action', binding: { to: 'collection' }, params: TARGETS, returns: 'CreateMultipleResponse', origin: 'dataverse' },
  { name: 'UpdateMultiple', kind: 'Action', binding: { to: 'collection' }, params: TARGETS, origin: 'dataverse' },
  { name: 'DeleteMultiple', kind: 'Action', binding: { to: 'collection' }, params: DELETE_TARGETS, origin: 'dataverse' },
  { name: 'WhoAmI', kind: 'Function', binding: { to: 'unbound' }, params: {}, returns: 'WhoAmIResponse', origin: 'dataverse' },
];

/** The names of the operations bound as `binding.to`. */
export const operationNames = (to: Binding['to']): string[] => OPERATIONS.filter((o) => o.binding.to === to).map((o) => o.name);
