import { MachineGroupState, MachineState, MachineStatus } from '../../shared/option-sets.js';
import type { FastifyInstance } from 'fastify';
import { AGENT_REGISTER_PATH, RegisterRequest, type RegisterResponse } from '../../shared/protocol.js';
import { validator } from '../../shared/validate.js';
import { hashSecretAsync, hashToken, newSecret, verifySecretAsync } from '../auth/secrets.js';
import { machineCallbackKey } from '../callback/callback-keys.js';
import type { OrchestratorContext } from '../context.js';
import type { Repositories } from '../store/store.js';
import { addressKey } from './client-address.js';
import { FailureLimiter, slowDown } from './failure-limiter.js';
import { sendBusy, sendError } from './machine-auth.js';
import type { VerificationSlots } from './verification-slots.js';

const checkRequest = validator(RegisterRequest);
const REGISTER_BODY_LIMIT = 16 * 1024;

export interface RegisterRouteOptions {
  /** Wrong passwords per (group, address) and minute answered without delay. Default 10. */
  readonly freeFailuresPerMinute?: number;
  /** The slow-down past them: first delay, doubling to the cap. Default 500 ms, 10 s. */
  readonly failureDelay?: FailureDelay;
  /** Password checks (scrypt) in flight, shared with the machine credential checks. */
  readonly slots: VerificationSlots;
  /** A machine was registered (its row is committed): the queue files it. */
  readonly onRegistered?: (machineId: string) => Promise<void>;
}

export interface FailureDelay {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const DEFAULT_FAILURE_DELAY: FailureDelay = { firstMs: 500, maxMs: 10_000 };

/**
 * `POST /agent/v1/register`: group name + password → a new flowmachine and its credential. The password is checked
 * off the event loop in one of a few slots (503 + Retry-After when all are taken); a right one is never refused;
 * wrong ones are answered later and later per (group, client address), never locked out.
 */
export function registerRoute(app: FastifyInstance, ctx: OrchestratorContext, options: RegisterRouteOptions): void {
  const delay = options.failureDelay ?? DEFAULT_FAILURE_DELAY;
  const limiter = new FailureLimiter({ free: options.freeFailuresPerMinute ?? 10, windowMs: 60_000, firstDelayMs: delay.firstMs, maxDelayMs: delay.maxMs, now: ctx.now });
  // Hashed once so an unknown group costs the same scrypt time as a wrong password.
  let decoy: Promise<string> | undefined;

  app.post(AGENT_REGISTER_PATH, { bodyLimit: REGISTER_BODY_LIMIT }, async (request, reply) => {
    if (!checkRequest.check(request.body)) return sendError(reply, 400, 'InvalidRequest', `invalid registration: ${checkRequest.errors('body').join('; ')}`);
    const body = request.body;
    const group = await ctx.store.groups.byName(body.group);
    const stored = group?.passwordhash ?? (await (decoy ??= hashSecretAsync(newSecret())));
    const ok = await options.slots.run(() => verifySecretAsync(body.password, stored));
    if (ok === 'busy') return sendBusy(reply);
    if (!group || !ok) {
      const note = await slowDown(limiter.fail(`${body.group.toLowerCase()}@${addressKey(request.ip)}`), 'for this group from your address');
      return sendError(reply, 401, 'Unauthorized', `unknown group or wrong password${note}`);
    }
    if ((group.statecode ?? MachineGroupState.v.Active) === MachineGroupState.v.Inactive) return sendError(reply, 403, 'GroupInactive', `machine group '${group.name}' is inactive`);
    const response = await ctx.store.transaction((tx) => createMachine(tx, group.flowmachinegroupid, body));
    await options.onRegistered?.(response.flowmachineid);
    ctx.logger.info(`machine ${body.name} registered into group ${group.name} as ${response.flowmachineid}`);
    return reply.code(200).send(response);
  });
}

async function createMachine(tx: Repositories, groupId: string, body: RegisterRequest): Promise<RegisterResponse> {
  const credential = newSecret();
  const machine = await tx.machines.insert({
    name: body.name,
    os: body.os ?? null,
    agentversion: body.agentVersion ?? null,
    _flowmachinegroupid_value: groupId,
    sessioncapacity: body.capacity ?? 1,
    statecode: MachineState.v.Active,
    statuscode: MachineStatus.v.Inactive,
    connected: false,
    credentialhash: hashToken(credential),
  });
  const flowmachineid = machine.flowmachineid;
  // The machine's own signing key, never the group's secret: a member cannot sign as another (callback-keys.ts).
  return { flowmachineid, flowmachinegroupid: groupId, credential, callbackSecret: (await machineCallbackKey(tx, flowmachineid))! };
}
