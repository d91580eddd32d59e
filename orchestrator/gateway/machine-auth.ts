import type { FastifyReply, FastifyRequest } from 'fastify';
import { flowmachineEntity } from '../../shared/records/index.js';
import { verifySecretAsync } from '../auth/secrets.js';
import type { Row, Store } from '../store/store.js';
import type { FailureLimiter } from './failure-limiter.js';

/** An agent-facing error answer: `{ error: { code, message } }`. */
export const sendError = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).header('content-type', 'application/json; charset=utf-8').send({ error: { code, message } });

const BEARER = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{16,256})$/i;

/**
 * The machine a WebSocket upgrade authenticates as (`Authorization: Bearer <flowmachineid>.<credential>`),
 * (verified off the event loop) or undefined for an absent/malformed/wrong credential, a deleted machine or a revoked (Inactive) one.
 */
export async function authenticateMachine(store: Store, authorization: string | undefined): Promise<Row | undefined> {
  const m = BEARER.exec(authorization ?? '');
  if (!m) return undefined;
  const machine = store.get(flowmachineEntity, m[1]!.toLowerCase());
  if (!machine || Number(machine['statecode'] ?? 0) === 1) return undefined;
  return (await verifySecretAsync(m[2]!, machine['credentialhash'] as string | null)) ? machine : undefined;
}

/**
 * The machine an agent request authenticates as; otherwise answers it (429 while the address is locked out after
 * failures, 401 for a bad credential, counted as a failure) and returns undefined.
 */
export async function authenticateRequest(store: Store, failures: FailureLimiter, request: FastifyRequest, reply: FastifyReply): Promise<Row | undefined> {
  const wait = failures.retryAfter(request.ip);
  if (wait > 0) {
    await sendError(reply.header('retry-after', String(wait)), 429, 'TooManyAttempts', `retry in ${wait} s`);
    return undefined;
  }
  const machine = await authenticateMachine(store, request.headers.authorization);
  if (!machine) {
    failures.fail(request.ip);
    await sendError(reply, 401, 'Unauthorized', 'missing or invalid machine credential');
  }
  return machine;
}
