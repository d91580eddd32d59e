import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, type ApiError } from './api-error.js';

import { WEB_API_PATH } from '../../shared/protocol.js';

export const API_PATH = WEB_API_PATH;
export const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal';

/** The absolute base of this request (scheme + host as the client addressed us), e.g. `http://127.0.0.1:7780`. */
export const baseUrl = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

/** `http://host/api/data/v9.2` */
export const serviceRoot = (request: FastifyRequest): string => `${baseUrl(request)}${API_PATH}`;

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // A Buffer keeps fastify from rewriting the content type (it would quote the parameter and add a charset).
  return reply.code(status).header('content-type', JSON_CONTENT_TYPE).send(Buffer.from(JSON.stringify(body), 'utf8'));
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return sendJson(reply, err.status, errorBody(err));
}

export const noContent = (reply: FastifyReply): FastifyReply => reply.code(204).send();
