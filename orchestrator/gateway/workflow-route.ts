import type { FastifyInstance, FastifyReply } from 'fastify';
import { AGENT_WORKFLOWS_PATH, type AgentWorkflow } from '../../shared/protocol.js';
import { workflowEntity } from '../../shared/records/index.js';
import type { OrchestratorContext } from '../context.js';
import type { FailureLimiter } from './failure-limiter.js';
import { authenticateMachine } from './machine-auth.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sendError = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).header('content-type', 'application/json; charset=utf-8').send({ error: { code, message } });

/**
 * `GET /agent/v1/workflows/<id>` with the machine credential: the workflow a machine runs locally
 * (`flowhost run <workflow id>`). Any active machine may read any active workflow: workflows are not bound to groups.
 */
export function workflowRoute(app: FastifyInstance, ctx: OrchestratorContext, authFailures: FailureLimiter): void {
  app.get<{ Params: { id: string } }>(`${AGENT_WORKFLOWS_PATH}/:id`, async (request, reply) => {
    const wait = authFailures.retryAfter(request.ip);
    if (wait > 0) return sendError(reply.header('retry-after', String(wait)), 429, 'TooManyAttempts', `retry in ${wait} s`);
    const machine = await authenticateMachine(ctx.store, request.headers.authorization);
    if (!machine) {
      authFailures.fail(request.ip);
      return sendError(reply, 401, 'Unauthorized', 'missing or invalid machine credential');
    }
    const id = request.params.id;
    if (!GUID.test(id)) return sendError(reply, 400, 'InvalidRequest', `workflow id must be a GUID, got '${id.slice(0, 100)}'`);
    const row = ctx.store.get(workflowEntity, id.toLowerCase());
    if (!row) return sendError(reply, 404, 'NotFound', `workflow ${id} does not exist`);
    if (Number(row['statecode'] ?? 0) === 1) return sendError(reply, 409, 'WorkflowInactive', `workflow ${id} is deactivated`);
    const body: AgentWorkflow = {
      workflowid: String(row['workflowid']),
      name: String(row['name']),
      clientdata: String(row['clientdata']),
      ...(typeof row['inputschema'] === 'string' && row['inputschema'] ? { inputschema: row['inputschema'] } : {}),
      ...(typeof row['outputschema'] === 'string' && row['outputschema'] ? { outputschema: row['outputschema'] } : {}),
    };
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  });
}
