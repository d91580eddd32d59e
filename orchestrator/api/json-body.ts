import type { FastifyRequest } from 'fastify';
import { ApiError, jsonSyntaxMessage } from './api-error.js';

/**
 * The Web API's only body parser (application/json, any parameters such as charset). An empty body is "no body"
 * (action POSTs may come without one); anything else must be JSON.
 */
export function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(null, undefined);
  let value: unknown;
  try {
    value = JSON.parse(text, refuseProtoKeys);
  } catch (err) {
    return done(err instanceof ApiError ? err : new ApiError(400, 'MalformedJson', `the request body is not valid JSON: ${jsonSyntaxMessage(err)}`));
  }
  done(null, value);
}

/** A `__proto__` key would become an object's prototype when copied by assignment: refuse it outright. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ApiError(400, 'InvalidRequest', "the property name '__proto__' is not allowed");
  return value;
}
