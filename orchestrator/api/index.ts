import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackUrlPolicyOptions } from '../../node-shared/callback-url.js';
import { backgroundoperationEntity } from '../../shared/records/index.js';
import type { AgentControl, BackgroundStats, OrchestratorContext, SessionQueue } from '../context.js';
import type { ServiceIdentity } from '../store/repositories.js';
import { collectionAction, recordAction, type ActionContext } from './actions.js';
import { ApiError, methodNotAllowed, notFound, toApiError } from './api-error.js';
import { refuseCallbackUrls, requestedCallbackUrls } from './callback-url-check.js';
import { authenticate, requireAdmin, type Principal } from './principal.js';
import { sessionDispatch } from './child-sessions.js';
import { BackgroundBulk } from './background-operations.js';
import { getFileColumn } from './file-columns.js';
import { parseJsonBody } from './json-body.js';
import { isGuid, parseApiPath, type ApiTarget } from './paths.js';
import { allowedMethods, policyOf } from './policies/index.js';
import type { ScheduleWaker } from './policies/index.js';
import { getCollection, getCount, getRecord, metadata, representation, serviceDocument } from './read-handlers.js';
import { RecordWriter } from './record-writer.js';
import { API_PATH, sendError, sendJson } from './reply.js';
import { deleteRecord, patchRecord, postRecord } from './write-handlers.js';
import { serviceIdentity, whoAmI } from './who-am-i.js';

export interface WebApiOptions {
  readonly ctx: OrchestratorContext;
  readonly queue: SessionQueue;
  /** The agents' pause/resume/drain commands, reached by PATCH of a session's or machine's status. */
  readonly control: AgentControl;
  readonly schedules: ScheduleWaker;
  readonly adminToken: string;
  /** The callback URL policy of this orchestrator's deliveries (`--callback-allow`): a URL it refuses is refused when a request names it. */
  readonly callbackPolicy?: CallbackUrlPolicyOptions;
}

export interface WebApi {
  /** Runs again the respond-async operations a previous run left unfinished (call once listening). */
  resumeBackgroundOperations(): Promise<void>;
  /** The respond-async bulk operations (metrics). */
  backgroundStats(): BackgroundStats;
  close(): Promise<void>;
}

/** What the routes share: the actions' context and the WhoAmI ids. */
interface ApiContext extends ActionContext {
  readonly identity: ServiceIdentity;
}

const METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'] as const;

function allowedFor(target: ApiTarget): string[] {
  switch (target.kind) {
    case 'service':
    case 'metadata':
    case 'function':
    case 'count':
    case 'file':
      return ['GET'];
    case 'collection':
      return allowedMethods(policyOf(target.entity)).collection;
    case 'record':
      return allowedMethods(policyOf(target.entity)).record;
    default:
      return ['POST'];
  }
}

/** The principal the onRequest hook authenticated. */
const principals = new WeakMap<FastifyRequest, Principal>();

async function dispatch(c: ApiContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = request.url.split('?')[0]!;
  const target = parseApiPath(path.length > API_PATH.length ? path.slice(API_PATH.length + 1) : '');
  const allow = allowedFor(target);
  // HEAD is answered like GET (fastify drops the body).
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (!allow.includes(method)) throw methodNotAllowed(request.method, path.slice(0, 200), allow);
  const principal = principals.get(request);
  if (principal?.kind !== 'admin') {
    if (principal === undefined) throw new Error('request reached dispatch unauthenticated');
    await refuseCallbackUrls(requestedCallbackUrls(target, method, request.body), c.callbackPolicy);
    return sessionDispatch(c, principal.session, target, method, request, reply);
  }
  await refuseCallbackUrls(requestedCallbackUrls(target, method, request.body), c.callbackPolicy);
  const store = c.store;
  const w = { store, writer: c.writer };
  switch (target.kind) {
    case 'service':
      return serviceDocument(request, reply);
    case 'metadata':
      return metadata(reply);
    case 'function':
      return whoAmI(c.identity, request, reply);
    case 'count':
      return getCount(store, target.entity, request, reply);
    case 'collection':
      return method === 'GET' ? getCollection(store, target.entity, request, reply) : postRecord(w, target.entity, request, reply);
    case 'record':
      if (method === 'GET') return getRecord(store, target.entity, target.id, request, reply);
      return request.method === 'PATCH' ? patchRecord(w, target.entity, target.id, request, reply) : deleteRecord(w, target.entity, target.id, request, reply);
    case 'record-action':
      return recordAction(c, target.entity, target.id, target.action, request, reply);
    case 'collection-action':
      return collectionAction(c, target.entity, target.action, request, reply);
    case 'file':
      return getFileColumn(store, target.entity, target.id, target.column, reply);
  }
}

/** `GET /api/backgroundoperation/<id>`: the status of a respond-async operation (the 202's Location). */
async function backgroundOperation(c: ApiContext, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<FastifyReply> {
  const id = request.params.id.toLowerCase();
  const row = isGuid(id) ? await c.store.records.get(backgroundoperationEntity, id) : undefined;
  if (!row) throw notFound(`background operation ${request.params.id.slice(0, 100)} does not exist`);
  return sendJson(reply, 200, representation(request, backgroundoperationEntity, row));
}

/** Registers the Dataverse-shaped Web API under /api: admin bearer auth, JSON bodies only, OData errors. */
export async function registerWebApi(app: FastifyInstance, o: WebApiOptions): Promise<WebApi> {
  const deps = { store: o.ctx.store, queue: o.queue, control: o.control, schedules: o.schedules, now: o.ctx.now };
  const writer = new RecordWriter(deps);
  const background = new BackgroundBulk({ store: o.ctx.store, writer, logger: o.ctx.logger, now: o.ctx.now });
  const c: ApiContext = { store: o.ctx.store, deps, writer, background, callbackPolicy: o.callbackPolicy ?? { allow: [] }, identity: await serviceIdentity(o.ctx.store) };

  app.addHook('onSend', async (_request, reply) => {
    reply.header('odata-version', '4.0');
  });
  app.addHook('onResponse', async (request, reply) => {
    o.ctx.logger.info('request', { method: request.method, path: request.url.split('?')[0]!.slice(0, 300), status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });
  app.setNotFoundHandler((request, reply) => {
    try {
      if (!request.url.startsWith('/agent/')) requireAdmin(request, o.adminToken);
      return sendError(reply, notFound(`no resource at ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`, 'NoResource'));
    } catch (err) {
      return sendError(reply, toApiError(err));
    }
  });

  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => void principals.set(request, await authenticate(request, o.adminToken, o.ctx.store)));
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
    api.setErrorHandler((err, request, reply) => {
      const e = toApiError(err);
      if (e.status >= 500) o.ctx.logger.error(`${request.method} ${request.url.split('?')[0]}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return sendError(reply, e);
    });
    api.route({ method: [...METHODS], url: API_PATH, handler: (request, reply) => dispatch(c, request, reply) });
    api.route({ method: [...METHODS], url: `${API_PATH}/*`, handler: (request, reply) => dispatch(c, request, reply) });
    api.get<{ Params: { id: string } }>('/api/backgroundoperation/:id', (request, reply) => {
      if (principals.get(request)?.kind !== 'admin') throw new ApiError(403, 'Forbidden', 'a session token may not read background operations');
      return backgroundOperation(c, request, reply);
    });
  });

  return {
    resumeBackgroundOperations: () => background.resume(),
    backgroundStats: () => background.stats(),
    close: async () => background.close(),
  };
}
