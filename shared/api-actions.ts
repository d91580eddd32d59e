import { Type, type Static } from '@sinclair/typebox';
import { MAX_RUN_TIMEOUT_S } from './records/flowsession.js';
import { DateTime, Guid } from './records/entity.js';

/** Body of `POST workflows(<id>)/Microsoft.Dynamics.CRM.RunDesktopFlow`. Exactly one of machineGroupId / machineId. */
export const RunDesktopFlowRequest = Type.Object(
  {
    runMode: Type.Union([Type.Literal('attended'), Type.Literal('unattended')]),
    runPriority: Type.Optional(Type.Union([Type.Literal('normal'), Type.Literal('high'), Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })])),
    machineGroupId: Type.Optional(Guid()),
    machineId: Type.Optional(Guid()),
    /** Run timeout in seconds (default 10800). */
    timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RUN_TIMEOUT_S })),
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    callbackUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    scheduledFor: Type.Optional(DateTime()),
    sessionUser: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    correlationId: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type RunDesktopFlowRequest = Static<typeof RunDesktopFlowRequest>;

export const RunDesktopFlowResponse = Type.Object({ flowsessionId: Guid() }, { additionalProperties: false });
export type RunDesktopFlowResponse = Static<typeof RunDesktopFlowResponse>;

/** Largest number of records one CreateMultiple / UpdateMultiple / DeleteMultiple may carry. */
export const MAX_BULK_TARGETS = 1000;

const Targets = Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: MAX_BULK_TARGETS });

/** `CreateMultiple` and `UpdateMultiple` (each UpdateMultiple target carries the record's key). */
export const BulkTargetsRequest = Type.Object({ Targets: Targets }, { additionalProperties: false });
export type BulkTargetsRequest = Static<typeof BulkTargetsRequest>;

/** `DeleteMultiple`: `{"Targets":[{<key>: id}]}` or `{"Ids":[id, …]}`. */
export const BulkDeleteIdsRequest = Type.Object({ Ids: Type.Array(Guid(), { minItems: 1, maxItems: MAX_BULK_TARGETS }) }, { additionalProperties: false });
export const BulkDeleteRequest = Type.Union([BulkTargetsRequest, BulkDeleteIdsRequest]);
export type BulkDeleteRequest = Static<typeof BulkDeleteRequest>;

/** Answer of the bulk actions: the ids created, changed or deleted, in request order. */
export const BulkIdsResponse = Type.Object({ Ids: Type.Array(Guid()) }, { additionalProperties: false });
export type BulkIdsResponse = Static<typeof BulkIdsResponse>;

/** Body of the actions that take no parameters (`CancelDesktopFlowRun`, `TriggerDesktopFlowRunCallback`, `RotateCallbackSecret`): none or `{}`. */
export const NoParametersRequest = Type.Object({}, { additionalProperties: false });
