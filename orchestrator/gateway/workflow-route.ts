import { WorkflowState } from '../../shared/option-sets.js';
import type { FastifyInstance } from 'fastify';
import { AGENT_WORKFLOWS_PATH, type AgentWorkflow } from '../../shared/protocol.js';
import type { OrchestratorContext } from '../context.js';
import { isGuid } from '../api/paths.js';
import { authenticateRequest, sendError, type MachineAuth } from './machine-auth.js';

/**
 * `GET /agent/v1/workflows/<id>` with the machine credential: the workflow a machine runs locally
 * (`flowhost run <workflow id>`). Any active machine may read any active workflow: workflows are not bound to groups.
 */
export function workflowRoute(app: FastifyInstance, ctx: OrchestratorContext, auth: MachineAuth): void {
  app.get<{ Params: { id: string } }>(`${AGENT_WORKFLOWS_PATH}/:id`, async (request, reply) => {
    if (!(await authenticateRequest(auth, request, reply))) return reply;
    const id = request.params.id;
    if (!isGuid(id)) return sendError(reply, 400, 'InvalidRequest', `workflow id must be a GUID, got '${id.slice(0, 100)}'`);
    const row = await ctx.store.workflows.get(id.toLowerCase());
    if (!row) return sendError(reply, 404, 'NotFound', `workflow ${id} does not exist`);
    if ((row.statecode ?? WorkflowState.v.Active) === WorkflowState.v.Inactive) return sendError(reply, 409, 'WorkflowInactive', `workflow ${id} is deactivated`);
    const body: AgentWorkflow = {
      workflowid: row.workflowid,
      name: row.name ?? '',
      clientdata: row.clientdata ?? '',
      ...(row.inputschema ? { inputschema: row.inputschema } : {}),
      ...(row.outputschema ? { outputschema: row.outputschema } : {}),
    };
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  });
}
