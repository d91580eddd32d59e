import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';

/**
 * The Web API's only body parser (application/json, any parameters such as charset). An empty body is "no body"
 * (action POSTs may come without one); anything else must be JSON.
 */
export function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(text) as unknown);
  } catch (err) {
    done(new ApiError(400, 'MalformedJson', `the request body is not valid JSON: ${(err as Error).message}`));
  }
}
