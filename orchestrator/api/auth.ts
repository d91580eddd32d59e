import type { FastifyRequest } from 'fastify';
import { tokensEqual } from '../../node-shared/tokens.js';
import { ApiError } from './api-error.js';

/** Throws 401 unless the request carries `Authorization: Bearer <admin token>` (compared in constant time). */
export function requireAdmin(request: FastifyRequest, adminToken: string): void {
  const header = request.headers.authorization;
  if (!header) throw new ApiError(401, 'Unauthorized', "missing 'Authorization: Bearer <admin token>' header", { 'www-authenticate': 'Bearer' });
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match || !tokensEqual(match[1]!, adminToken)) {
    throw new ApiError(401, 'Unauthorized', 'the bearer token is not valid', { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
}
