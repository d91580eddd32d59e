import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoParametersRequest } from '../../shared/api-actions.js';
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
import { baseUrl, noContent, sendJson } from './reply.js';
import { runDesktopFlow } from './run-desktop-flow.js';
import { committed, requireJsonBody } from './write-handlers.js';

export interface ActionContext {
  /** The store, for transactions; `deps.store` is the same store's repositories. */
  readonly store: Store;
  readonly deps: WriteDeps;
  readonly writer: RecordWriter;
  readonly background: BackgroundBulk;
}

const BULK_METHOD: Record<BulkAction, 'POST' | 'PATCH' | 'DELETE'> = { CreateMultiple: 'POST', UpdateMultiple: 'PATCH', DeleteMultiple: 'DELETE' };

const noParameters = validator(NoParametersRequest);

const unknownAction = (entity: EntityDef, action: string, bound: string): ApiError =>
  notFound(`there is no action '${action.slice(0, 100)}' bound to ${bound} of ${entity.set}`, 'UnknownAction');

function sessionRow(c: ActionContext, id: string) {
  const row = c.deps.store.sessions.get(id);
  if (!row) throw notFound(`flowsession with id ${id} does not exist`);
  return row;
}

/** `POST <set>(<id>)/Microsoft.Dynamics.CRM.<action>` */
export function recordAction(c: ActionContext, entity: EntityDef, id: string, action: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  requireJsonBody(request);
  if (entity.set === 'workflows' && action === 'RunDesktopFlow') {
    const { response } = committed(c.store, (tx) => runDesktopFlow({ ...c.deps, store: tx }, id, request.body));
    return sendJson(reply, 200, response);
  }
  if (entity.set === 'flowsessions' && action === 'CancelDesktopFlowRun') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    sessionRow(c, id);
    c.deps.queue.cancel(id);
    return noContent(reply);
  }
  if (entity.set === 'flowsessions' && action === 'TriggerDesktopFlowRunCallback') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    const row = sessionRow(c, id);
    if (row.statuscode === null || !isTerminalStatus(row.statuscode)) throw conflict(`flowsession ${id} has not finished yet`, 'SessionNotFinished');
    if (!row.callbackurl) throw conflict(`flowsession ${id} has no callbackurl`, 'NoCallbackUrl');
    c.deps.queue.triggerCallback(id);
    return noContent(reply);
  }
  if (entity.set === 'flowmachinegroups' && action === 'RotateCallbackSecret') {
    noParameters.parse(request.body ?? {}, `${action} body`);
    if (!c.deps.store.groups.get(id)) throw notFound(`flowmachinegroup with id ${id} does not exist`);
    const callbacksecret = rotateCallbackSecret(c.deps.store, id);
    c.deps.queue.callbackSecretRotated(id);
    return sendJson(reply, 200, { callbacksecret });
  }
  throw unknownAction(entity, action, 'a record');
}

/** `POST <set>/Microsoft.Dynamics.CRM.CreateMultiple|UpdateMultiple|DeleteMultiple`, optionally `Prefer: respond-async`. */
export function collectionAction(c: ActionContext, entity: EntityDef, action: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!isBulkAction(action)) throw unknownAction(entity, action, 'the collection');
  requireJsonBody(request);
  c.writer.allowed(entity, BULK_METHOD[action]);
  if (parsePrefer(request.headers.prefer).respondAsync) {
    const id = c.background.start(entity.set, action, request.body);
    return reply.code(202).header('location', `${baseUrl(request)}/api/backgroundoperation/${id}`).header('preference-applied', 'respond-async').send();
  }
  const { response } = committed(c.store, (tx) => bulkWrites(c.writer, tx, entity, action, request.body));
  return sendJson(reply, 200, response);
}
