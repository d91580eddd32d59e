import type { FastifyRequest } from 'fastify';
import { isTerminalStatus } from '../../shared/option-sets.js';
import { tokensEqual } from '../../node-shared/tokens.js';
import { verifySecret } from '../auth/secrets.js';
import { sessionOfToken } from '../auth/session-tokens.js';
import type { Repositories, SessionRecord } from '../store/store.js';
import { ApiError } from './api-error.js';

/** Who a Web API request acts as: the admin, or an open session by its token (child sessions only). */
export type Principal = { readonly kind: 'admin' } | { readonly kind: 'session'; readonly session: SessionRecord };

const invalid = () => new ApiError(401, 'Unauthorized', 'the bearer token is not valid', { 'www-authenticate': 'Bearer error="invalid_token"' });

function bearerOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new ApiError(401, 'Unauthorized', "missing 'Authorization: Bearer <admin token>' header", { 'www-authenticate': 'Bearer' });
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw invalid();
  return match[1]!;
}

/**
 * The request's principal: the admin token (compared in constant time), or the token of a session that has not ended
 * (its hash is cleared when it ends, so a token of an ended session is refused like any wrong token).
 */
export async function authenticate(request: FastifyRequest, adminToken: string, store: Pick<Repositories, 'sessions'>): Promise<Principal> {
  const token = bearerOf(request);
  if (tokensEqual(token, adminToken)) return { kind: 'admin' };
  const sessionId = sessionOfToken(token);
  const session = sessionId === undefined ? undefined : await store.sessions.get(sessionId);
  if (!session || !verifySecret(token, session.sessiontokenhash) || (session.statuscode !== null && isTerminalStatus(session.statuscode))) throw invalid();
  return { kind: 'session', session };
}

/** Throws 401 unless the request carries the admin token (routes a session token never reaches). */
export function requireAdmin(request: FastifyRequest, adminToken: string): void {
  if (!tokensEqual(bearerOf(request), adminToken)) throw invalid();
}
