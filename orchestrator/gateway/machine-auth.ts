import { MachineState } from '../../shared/option-sets.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isSlowHash, verifySecretAsync } from '../auth/secrets.js';
import type { MachineRecord, Store } from '../store/store.js';
import { addressKey } from './client-address.js';
import { slowDown, type FailureLimiter } from './failure-limiter.js';
import { BUSY_RETRY_AFTER_S, type VerificationSlots } from './verification-slots.js';

/** An agent-facing error answer: `{ error: { code, message } }`. */
export const sendError = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).header('content-type', 'application/json; charset=utf-8').send({ error: { code, message } });

/** Every credential-check slot is taken: 503 + Retry-After. Says nothing about the credential (it was not checked). */
export const sendBusy = (reply: FastifyReply) =>
  sendError(reply.header('retry-after', String(BUSY_RETRY_AFTER_S)), 503, 'Busy', `too many credential checks in progress; retry in ${BUSY_RETRY_AFTER_S} s`);

const BEARER = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{16,256})$/i;

/**
 * The machine a request authenticates as (`Authorization: Bearer <flowmachineid>.<credential>`), verified off the
 * event loop; undefined for an absent/malformed/wrong credential, a deleted machine or a revoked (Inactive) one;
 * 'busy' when the credential needs scrypt (a machine registered before credentials were SHA-256 hashed) and every
 * slot is taken.
 */
export async function authenticateMachine(store: Store, slots: VerificationSlots, authorization: string | undefined): Promise<MachineRecord | undefined | 'busy'> {
  const m = BEARER.exec(authorization ?? '');
  if (!m) return undefined;
  const machine = await store.machines.get(m[1]!.toLowerCase());
  if (!machine || (machine.statecode ?? MachineState.v.Active) === MachineState.v.Inactive) return undefined;
  const stored = machine.credentialhash;
  const ok = isSlowHash(stored) ? await slots.run(() => verifySecretAsync(m[2]!, stored)) : await verifySecretAsync(m[2]!, stored);
  return ok === 'busy' ? ok : ok ? machine : undefined;
}

export interface MachineAuth {
  readonly store: Store;
  /** Failures per client address (IPv6: its /64): they slow down the 401s, never a right credential. */
  readonly failures: FailureLimiter;
  readonly slots: VerificationSlots;
}

/**
 * The machine an agent request authenticates as; otherwise answers it (401 for a bad credential, later and later
 * while its address keeps failing; 503 when busy) and returns undefined. A valid credential is always accepted.
 */
export async function authenticateRequest(auth: MachineAuth, request: FastifyRequest, reply: FastifyReply): Promise<MachineRecord | undefined> {
  const machine = await authenticateMachine(auth.store, auth.slots, request.headers.authorization);
  if (machine === 'busy') {
    await sendBusy(reply);
    return undefined;
  }
  if (!machine) {
    const note = await slowDown(auth.failures.fail(addressKey(request.ip)), 'from your address');
    await sendError(reply, 401, 'Unauthorized', `missing or invalid machine credential${note}`);
  }
  return machine;
}
