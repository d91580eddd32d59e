import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackUrlPolicyOptions } from '../../node-shared/callback-url.js';
import { NoParametersRequest, type TriggerDesktopFlowRunCallbackResponse } from '../../shared/api-actions.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { isTerminalStatus } from '../../shared/option-sets.js';
import type { EntityDef } from '../../shared/records/index.js';
import { rotateCallbackSecret } from '../callback/callback-keys.js';
import { validator } from '../../shared/validate.js';
import { parsePrefer } from '../odata/index.js';
import type { Store } from '../store/store.js';
import { ApiError, conflict, notFound } from './api-error.js';
import type { BackgroundBulk } from './background-operations.js';
import { bulkWrites, isBulkAction, type BulkAction } from './bulk-actions.js';
import type { WriteDeps } from './policies/index.js';
import type { RecordWriter } from './record-writer.js';
import { baseUrl, noContent, sendJson, serviceRoot } from './reply.js';
import { runDesktopFlow } from './run-desktop-flow.js';
import { committed, requireJsonBody } from './write-handlers.js';

export interface ActionContext {
  /** The store, for transactions; `deps.store` is the same store's repositories. */
  readonly store: Store;
  readonly deps: WriteDeps;
  readonly writer: RecordWriter;
  readonly background: BackgroundBulk;
  /** This orchestrator's callback URL policy (`--callback-allow`). */
  readonly callbackPolicy: CallbackUrlPolicyOptions;
}

/** `@odata.context` of an action's complex-type answer, e.g. `…/$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`. */
const actionContext = (request: FastifyRequest, type: string) => ({ '@odata.context': `${serviceRoot(request)}/$metadata#Microsoft.Dynamics.CRM.${type}` });

const BULK_METHOD: Record<BulkAction, 'POST' | 'PATCH' | 'DELETE'> = { CreateMultiple: 'POST', UpdateMultiple: 'PATCH', DeleteMultiple: 'DELETE' };

const noParameters = validator(NoParametersRequest);

const unknownAction = (entity: EntityDef, action: string, bound: string): ApiError =>
  notFound(`there is no action '${action.slice(0, 100)}' bound to ${bound} of ${entity.set}`, 'UnknownAction');

async function sessionRow(c: ActionContext, id: string) {
  const row = await c.deps.store.sessions.get(id);
  if (!row) throw notFound(`flowsession with id ${id} does not exist`);
  return row;
}

/**
 * `TriggerDesktopFlowRunCallback`: sends the callback now and answers `callbackHttpResponseCode`, the status its
 * receiver answered (retries a 408/429/5xx asks for go on as a backgroundoperation). No answer at all is an error:
 * 409 for a URL the policy refuses, 502 when the receiver could not be reached (retried the same way).
 */
async function triggerCallback(c: ActionContext, id: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const row = await sessionRow(c, id);
  if (!isTerminalStatus(Number(row['statuscode']))) throw conflict(`flowsession ${id} has not finished yet`, 'SessionNotFinished');
  if (!row['callbackurl']) throw conflict(`flowsession ${id} has no callbackurl`, 'NoCallbackUrl');
  const { operationId, firstAttempt } = await c.deps.queue.triggerCallback(id);
  const outcome = await firstAttempt;
  if (outcome?.httpStatus !== undefined) {
    const response: TriggerDesktopFlowRunCallbackResponse = { callbackHttpResponseCode: outcome.httpStatus };
    return sendJson(reply, 200, { ...actionContext(request, 'TriggerDesktopFlowRunCallbackResponse'), ...response });
  }
  const error = outcome?.error ?? `flowsession ${id} no longer exists`;
  if (error.startsWith(ErrorCode.CallbackUrlRefused)) throw new ApiError(409, ErrorCode.CallbackUrlRefused, `the callback of flowsession ${id} was not sent: ${error}`);
  const retried = outcome?.status === 'retry' ? `; retried as backgroundoperation ${operationId}` : '';
  throw new ApiError(502, ErrorCode.CallbackFailed, `the callback receiver of flowsession ${id} did not answer: ${error}${retried}`);
}

/** `POST <set>(<id>)/Microsoft.Dynamics.CRM.<action>` */
export async function recordAction(c: ActionContext, entity: EntityDef, id: string, action: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  requireJsonBody(request);
  if (entity.set === 'workflows' && action === 'RunDesktopFlow') {
    const { response } = await committed(c.store, (tx) => runDesktopFlow({ ...c.deps, store: tx }, id, request.body));
    return sendJson(reply, 200, { ...actionContext(request, 'RunDesktopFlowResponse'), ...response });
  }
  if (entity.set === 'flowsessions' && action === 'CancelDesktopFlowRun') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    await sessionRow(c, id);
    await c.deps.queue.cancel(id);
    return noContent(reply);
  }
  if (entity.set === 'flowsessions' && action === 'TriggerDesktopFlowRunCallback') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    return triggerCallback(c, id, request, reply);
  }
  if (entity.set === 'flowmachinegroups' && action === 'RotateCallbackSecret') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    if (!(await c.deps.store.groups.get(id))) throw notFound(`flowmachinegroup with id ${id} does not exist`);
    const callbacksecret = await rotateCallbackSecret(c.deps.store, id);
    await c.deps.queue.callbackSecretRotated(id);
    return sendJson(reply, 200, { callbacksecret });
  }
  throw unknownAction(entity, action, 'a record');
}

/** `POST <set>/Microsoft.Dynamics.CRM.CreateMultiple|UpdateMultiple|DeleteMultiple`, optionally `Prefer: respond-async`. */
export async function collectionAction(c: ActionContext, entity: EntityDef, action: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!isBulkAction(action)) throw unknownAction(entity, action, 'the collection');
  requireJsonBody(request);
  c.writer.allowed(entity, BULK_METHOD[action]);
  if (parsePrefer(request.headers.prefer).respondAsync) {
    const id = await c.background.start(entity.set, action, request.body);
    return reply.code(202).header('location', `${baseUrl(request)}/api/backgroundoperation/${id}`).header('preference-applied', 'respond-async').send();
  }
  const { response } = await committed(c.store, (tx) => bulkWrites(c.writer, tx, entity, action, request.body));
  return sendJson(reply, 200, response);
}
