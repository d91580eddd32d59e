import type { FastifyReply, FastifyRequest } from 'fastify';
import { flowsessionEntity } from '../../shared/records/index.js';
import { childrenOf, openChildrenOf } from '../queue/child-filters.js';
import type { Repositories, SessionRecord } from '../store/store.js';
import { ApiError, badRequest, conflict } from './api-error.js';
import type { ActionContext } from './actions.js';
import type { ApiTarget } from './paths.js';
import { getCollection, getCount, getRecord } from './read-handlers.js';
import { sendJson, serviceRoot } from './reply.js';
import { runDesktopFlow, type ChildOf } from './run-desktop-flow.js';
import { committed, requireJsonBody } from './write-handlers.js';

/** Deepest chain of children below a top session (its children are depth 1). */
export const MAX_CHILD_DEPTH = 5;
/** Most children of one session that have not ended. */
export const MAX_OPEN_CHILDREN = 100;

const forbidden = (what: string) =>
  new ApiError(403, 'Forbidden', `a session token may only run child sessions (POST workflows(<id>)/Microsoft.Dynamics.CRM.RunDesktopFlow) and read its own children (GET flowsessions); not ${what}`);

/** How many sessions above `session` (0 for a top session), following parents up to one past the limit. */
async function depthOf(store: Repositories, session: SessionRecord): Promise<number> {
  let depth = 0;
  let parent = session._parentsessionid_value;
  while (parent && depth <= MAX_CHILD_DEPTH) {
    depth++;
    parent = (await store.sessions.get(parent))?._parentsessionid_value ?? null;
  }
  return depth;
}

/** The RunDesktopFlow body without flowhost's `orphan` (the child extension), and that flag. */
function splitOrphan(body: unknown): { body: unknown; orphan: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('orphan' in body)) return { body, orphan: false };
  const { orphan, ...rest } = body as Record<string, unknown>;
  if (typeof orphan !== 'boolean') throw badRequest('RunDesktopFlow body: orphan must be true or false', 'InvalidOrphan');
  return { body: rest, orphan };
}

/** A child runs unattended unless it asks otherwise, and without a target where its parent was targeted (its group, or its machine). */
function withDefaults(body: unknown, parent: SessionRecord): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b: Record<string, unknown> = { runMode: 'unattended', ...(body as Record<string, unknown>) };
  if (b['machineGroupId'] !== undefined || b['machineId'] !== undefined) return b;
  if (parent._machinegroupid_value) return { ...b, machineGroupId: parent._machinegroupid_value };
  if (parent._machineid_value) return { ...b, machineId: parent._machineid_value };
  return b;
}

async function runChild(c: ActionContext, parent: SessionRecord, workflowId: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  requireJsonBody(request);
  const { body, orphan } = splitOrphan(request.body ?? {});
  const parentId = parent.flowsessionid;
  const { response } = await committed(c.store, async (tx) => {
    const depth = (await depthOf(tx, parent)) + 1;
    if (depth > MAX_CHILD_DEPTH) throw conflict(`session ${parentId} is at depth ${depth - 1}; children may nest at most ${MAX_CHILD_DEPTH} deep`, 'ChildDepthExceeded');
    const open = await tx.records.count(flowsessionEntity, openChildrenOf(parentId));
    if (open >= MAX_OPEN_CHILDREN) throw conflict(`session ${parentId} has ${open} children that have not ended; at most ${MAX_OPEN_CHILDREN} may be open at once`, 'TooManyOpenChildren');
    const child: ChildOf = { _parentsessionid_value: parentId, parentworkflowid: parent._regardingobjectid_value, orphan };
    return runDesktopFlow({ ...c.deps, store: tx }, workflowId, withDefaults(body, parent), child);
  });
  return sendJson(reply, 200, { '@odata.context': `${serviceRoot(request)}/$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`, ...response });
}

/**
 * What a session token may do: run a child (RunDesktopFlow on a workflow) and read its own children (the collection,
 * its $count and a record, each limited to them). Anything else is 403.
 */
export async function sessionDispatch(c: ActionContext, parent: SessionRecord, target: ApiTarget, method: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const what = `${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`;
  const sessions = (t: { entity: { set: string } }) => t.entity.set === flowsessionEntity.set;
  switch (target.kind) {
    case 'record-action':
      if (target.entity.set === 'workflows' && target.action === 'RunDesktopFlow') return runChild(c, parent, target.id, request, reply);
      throw forbidden(what);
    case 'collection':
      if (method === 'GET' && sessions(target)) return getCollection(c.store, flowsessionEntity, request, reply, childrenOf(parent.flowsessionid));
      throw forbidden(what);
    case 'count':
      if (sessions(target)) return getCount(c.store, flowsessionEntity, request, reply, childrenOf(parent.flowsessionid));
      throw forbidden(what);
    case 'record': {
      if (method !== 'GET' || !sessions(target)) throw forbidden(what);
      const row = await c.store.sessions.get(target.id);
      if (row?._parentsessionid_value !== parent.flowsessionid) throw forbidden(`${what}: it is not a child of session ${parent.flowsessionid}`);
      return getRecord(c.store, flowsessionEntity, target.id, request, reply);
    }
    case 'service':
    case 'metadata':
    case 'function':
    case 'collection-action':
    case 'file':
      throw forbidden(what);
  }
}
