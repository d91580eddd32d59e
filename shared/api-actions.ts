import { Type, type Static } from '@sinclair/typebox';
import { MAX_RUN_TIMEOUT_S } from './records/flowsession.js';
import { DateTime, Guid } from './records/entity.js';

/** Longest `runPriority` string (a name or an integer written as text). */
export const MAX_RUN_PRIORITY_LENGTH = 100;

/**
 * Body of `POST workflows(<id>)/Microsoft.Dynamics.CRM.RunDesktopFlow`, as Microsoft documents it (runMode,
 * runPriority, connectionName, connectionType, timeout, inputs as a JSON serialized string, callbackUrl; the nullable
 * ones may be null) plus flowhost's extensions (machineGroupId | machineId, inputs as an object, scheduledFor,
 * sessionUser, correlationId, an integer runPriority).
 */
export const RunDesktopFlowRequest = Type.Object(
  {
    runMode: Type.Union([Type.Literal('attended'), Type.Literal('unattended')]),
    /** `normal`, `high` or your own (mapped by orchestrator/api/run-desktop-flow.ts); an integer is flowhost's extension. */
    runPriority: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: MAX_RUN_PRIORITY_LENGTH }), Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }), Type.Null()]),
    ),
    connectionName: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
    /** 1 a connection (the default), 2 a connection reference (its logical name). */
    connectionType: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Null()])),
    machineGroupId: Type.Optional(Guid()),
    machineId: Type.Optional(Guid()),
    /** Run timeout in seconds (default 10800). */
    timeout: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_RUN_TIMEOUT_S }), Type.Null()])),
    /** A JSON serialized object (Microsoft's form) or the object itself. */
    inputs: Type.Optional(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    callbackUrl: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()])),
    scheduledFor: Type.Optional(DateTime()),
    sessionUser: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    correlationId: Type.Optional(Type.String({ maxLength: 100 })),
    /** flowhost's extension: a RetryPolicy (shared/retry-policy.ts) as an object or its JSON; checked where the session is prepared. */
    retryPolicy: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String({ maxLength: 4000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type RunDesktopFlowRequest = Static<typeof RunDesktopFlowRequest>;

/** `RunDesktopFlowResponse` (its `@odata.context` is added where the service root is known). */
export const RunDesktopFlowResponse = Type.Object({ flowsessionId: Guid() }, { additionalProperties: false });
export type RunDesktopFlowResponse = Static<typeof RunDesktopFlowResponse>;

/** `TriggerDesktopFlowRunCallbackResponse`: the HTTP status the callback's receiver answered. */
export const TriggerDesktopFlowRunCallbackResponse = Type.Object({ callbackHttpResponseCode: Type.Integer() }, { additionalProperties: false });
export type TriggerDesktopFlowRunCallbackResponse = Static<typeof TriggerDesktopFlowRunCallbackResponse>;

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
