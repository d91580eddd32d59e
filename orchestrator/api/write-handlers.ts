import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EntityDef } from '../../shared/records/index.js';
import { parsePrefer } from '../odata/index.js';
import type { Repositories, Store } from '../store/store.js';
import { ApiError, badRequest } from './api-error.js';
import { ifMatchVersion, preconditions } from './conditions.js';
import { representation } from './read-handlers.js';
import type { RecordWriter, Written } from './record-writer.js';
import { noContent, sendJson, serviceRoot } from './reply.js';

export interface WriteContext {
  readonly store: Store;
  readonly writer: RecordWriter;
}

/** Refuses a request body that is not JSON (415); a missing body is left to the caller. */
export function requireJsonBody(request: FastifyRequest): void {
  const type = request.headers['content-type'];
  if (request.body !== undefined && (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type))) {
    throw new ApiError(415, 'UnsupportedMediaType', "request body must be JSON ('Content-Type: application/json')");
  }
}

const entityUrl = (request: FastifyRequest, entity: EntityDef, id: string): string => `${serviceRoot(request)}/${entity.set}(${id})`;

/** Runs `write` in one transaction (with its repositories), then its after-effects. */
export async function committed<T extends Written>(store: Store, write: (tx: Repositories) => Promise<T>): Promise<T> {
  const written = await store.transaction(write);
  await written.after();
  return written;
}

export async function postRecord(c: WriteContext, entity: EntityDef, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  requireJsonBody(request);
  if (request.body === undefined) throw badRequest('a JSON body with the new record is required');
  const { row } = await committed(c.store, (tx) => c.writer.create(tx, entity, request.body));
  const id = String(row[entity.key]);
  reply.header('odata-entityid', entityUrl(request, entity, id)).header('location', entityUrl(request, entity, id));
  if (!parsePrefer(request.headers.prefer).returnRepresentation) return noContent(reply);
  reply.header('preference-applied', 'return=representation');
  return sendJson(reply, 201, representation(request, entity, row));
}

export async function patchRecord(c: WriteContext, entity: EntityDef, id: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  requireJsonBody(request);
  if (request.body === undefined) throw badRequest('a JSON body with the fields to change is required');
  const pre = preconditions(request);
  const { row, created } = await committed(c.store, (tx) => c.writer.upsert(tx, entity, id, request.body, pre));
  reply.header('odata-entityid', entityUrl(request, entity, id));
  if (!parsePrefer(request.headers.prefer).returnRepresentation) return noContent(reply);
  reply.header('preference-applied', 'return=representation');
  return sendJson(reply, created ? 201 : 200, representation(request, entity, row));
}

export async function deleteRecord(c: WriteContext, entity: EntityDef, id: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const ifVersion = ifMatchVersion(request);
  await committed(c.store, (tx) => c.writer.remove(tx, entity, id, ifVersion));
  return noContent(reply);
}
