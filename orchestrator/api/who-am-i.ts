import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { refuseQueryOptions } from '../odata/index.js';
import type { ServiceIdentity } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { sendJson, serviceRoot } from './reply.js';

/**
 * The ids WhoAmI answers. flowhost has one organization, one business unit and one user (the admin token's holder);
 * their ids are made on the first start and kept in the store, so they are the same across restarts and upgrades.
 */
export function serviceIdentity(store: Store): Promise<ServiceIdentity> {
  return store.transaction(async (tx) => {
    const stored = await tx.queueState.serviceIdentity();
    if (stored) return stored;
    const made = { organizationId: randomUUID(), businessUnitId: randomUUID(), userId: randomUUID() };
    await tx.queueState.setServiceIdentity(made);
    return made;
  });
}

/** `GET WhoAmI` / `WhoAmI()`: the WhoAmIResponse complex type, as Microsoft documents it. */
export function whoAmI(identity: ServiceIdentity, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  refuseQueryOptions(new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''), 'WhoAmI');
  return sendJson(reply, 200, {
    '@odata.context': `${serviceRoot(request)}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
    BusinessUnitId: identity.businessUnitId,
    UserId: identity.userId,
    OrganizationId: identity.organizationId,
  });
}
