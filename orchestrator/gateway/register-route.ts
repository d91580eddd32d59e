import type { FastifyInstance } from 'fastify';
import { AGENT_REGISTER_PATH, RegisterRequest, type RegisterResponse } from '../../shared/protocol.js';
import { flowmachineEntity, flowmachinegroupEntity } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import { hashSecret, hashToken, newSecret, verifySecret } from '../auth/secrets.js';
import { machineCallbackKey } from '../callback/callback-keys.js';
import type { OrchestratorContext } from '../context.js';
import type { Row } from '../store/store.js';
import { FailureLimiter } from './failure-limiter.js';
import { sendError } from './machine-auth.js';

const checkRequest = validator(RegisterRequest);
const REGISTER_BODY_LIMIT = 16 * 1024;

export interface RegisterRouteOptions {
  /** Failed registrations allowed per remote address and per group per minute. Default 10. */
  readonly maxFailuresPerMinute?: number;
  /** A machine was registered (its row is committed): the queue files it. */
  readonly onRegistered?: (machineId: string) => void;
}


/** `POST /agent/v1/register`: group name + password → a new flowmachine and its credential. */
export function registerRoute(app: FastifyInstance, ctx: OrchestratorContext, options: RegisterRouteOptions = {}): void {
  const limiter = new FailureLimiter({ max: options.maxFailuresPerMinute ?? 10, windowMs: 60_000, now: ctx.now });
  // Hashed once so an unknown group costs the same scrypt time as a wrong password.
  let decoy: string | undefined;

  app.post(AGENT_REGISTER_PATH, { bodyLimit: REGISTER_BODY_LIMIT }, async (request, reply) => {
    if (!checkRequest.check(request.body)) return sendError(reply, 400, 'InvalidRequest', `invalid registration: ${checkRequest.errors('body').join('; ')}`);
    const body = request.body;
    const keys = [`ip:${request.ip}`, `group:${body.group.toLowerCase()}`];
    const wait = Math.max(...keys.map((k) => limiter.retryAfter(k)));
    if (wait > 0) return sendError(reply.header('retry-after', String(wait)), 429, 'TooManyAttempts', `too many failed registrations; retry in ${wait} s`);
    const group = ctx.store.query(flowmachinegroupEntity, { where: 'name = ? COLLATE NOCASE', params: [body.group], limit: 1 })[0];
    const ok = verifySecret(body.password, (group?.['passwordhash'] as string | null) ?? (decoy ??= hashSecret(newSecret())));
    if (!group || !ok) {
      keys.forEach((k) => limiter.fail(k));
      return sendError(reply, 401, 'Unauthorized', 'unknown group or wrong password');
    }
    if (Number(group['statecode'] ?? 0) === 1) return sendError(reply, 403, 'GroupInactive', `machine group '${String(group['name'])}' is inactive`);
    const response = ctx.store.transaction(() => createMachine(ctx, group, body));
    options.onRegistered?.(response.flowmachineid);
    ctx.logger.info(`machine ${body.name} registered into group ${String(group['name'])} as ${response.flowmachineid}`);
    return reply.code(200).send(response);
  });
}

function createMachine(ctx: OrchestratorContext, group: Row, body: RegisterRequest): RegisterResponse {
  const groupId = String(group['flowmachinegroupid']);
  const credential = newSecret();
  const machine = ctx.store.insert(flowmachineEntity, {
    name: body.name,
    os: body.os ?? null,
    agentversion: body.agentVersion ?? null,
    _flowmachinegroupid_value: groupId,
    sessioncapacity: body.capacity ?? 1,
    statecode: 0,
    statuscode: 2,
    connected: false,
    credentialhash: hashToken(credential),
  });
  const flowmachineid = String(machine['flowmachineid']);
  // The machine's own signing key, never the group's secret: a member cannot sign as another (callback-keys.ts).
  return { flowmachineid, flowmachinegroupid: groupId, credential, callbackSecret: machineCallbackKey(ctx.store, flowmachineid)! };
}
