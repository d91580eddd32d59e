import type { FastifyReply, FastifyRequest } from 'fastify';
import { entities, type EntityDef } from '../../shared/records/index.js';
import { compileQuery, encodeSkipToken, type FilterNode, metadataDocument, MAX_PAGE_SIZE, parsePrefer, toApiRecord } from '../odata/index.js';
import type { Store } from '../store/store.js';
import { notFound } from './api-error.js';
import { etagOf, ifNoneMatch, noneMatchHits } from './conditions.js';
import { sendJson, serviceRoot } from './reply.js';

const queryOf = (request: FastifyRequest): URLSearchParams => new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');

const contextUrl = (request: FastifyRequest, entity: EntityDef, select: string[] | undefined, entry = false): string =>
  `${serviceRoot(request)}/$metadata#${entity.set}${select ? `(${select.join(',')})` : ''}${entry ? '/$entity' : ''}`;

function preferenceApplied(reply: FastifyReply, applied: string[]): void {
  if (applied.length > 0) reply.header('preference-applied', applied.join(','));
}

/** The `@odata.nextLink` of the page after `offset + returned`: same query, `$skiptoken` instead of `$skip`, `$top` reduced. */
function nextLink(request: FastifyRequest, entity: EntityDef, query: URLSearchParams, nextOffset: number, topLeft: number | undefined): string {
  const next = new URLSearchParams();
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    if (lower === '$skip' || lower === '$skiptoken' || lower === '$top') continue;
    next.append(name, value);
  }
  if (topLeft !== undefined) next.set('$top', String(topLeft));
  next.set('$skiptoken', encodeSkipToken(nextOffset));
  // URLSearchParams over-escapes; `$ , ' ( ) @` are valid in a query and keep the link readable like Dataverse's.
  const text = next.toString().replaceAll('+', '%20').replace(/%(24|2C|27|28|29|40)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return `${serviceRoot(request)}/${entity.set}?${text}`;
}

/** `$filter` AND the caller's `scope` (the rows a session token may see). */
const within = (filter: FilterNode | undefined, scope: FilterNode | undefined): FilterNode | undefined =>
  scope === undefined ? filter : filter === undefined ? scope : { kind: 'and', left: scope, right: filter };

export async function getCollection(store: Store, entity: EntityDef, request: FastifyRequest, reply: FastifyReply, scope?: FilterNode): Promise<FastifyReply> {
  const query = queryOf(request);
  const compiled = compileQuery(entity, query);
  const q = { ...compiled, filter: within(compiled.filter, scope) };
  const prefer = parsePrefer(request.headers.prefer);
  const pageSize = prefer.maxPageSize ?? MAX_PAGE_SIZE;
  const offset = q.skip ?? 0;
  const limit = Math.min(pageSize, q.top ?? Number.MAX_SAFE_INTEGER);
  const rows = await store.records.list(entity, { filter: q.filter, orderBy: q.orderBy, top: limit + 1, skip: offset });
  const page = rows.slice(0, limit);
  const topLeft = q.top === undefined ? undefined : q.top - page.length;
  const more = rows.length > limit && (topLeft === undefined || topLeft > 0);
  const body: Record<string, unknown> = { '@odata.context': contextUrl(request, entity, q.select) };
  if (q.count) body['@odata.count'] = await store.records.count(entity, q.filter);
  body['value'] = page.map((row) => toApiRecord(entity, row, { select: q.select, annotations: prefer.includeAnnotations }));
  if (more) body['@odata.nextLink'] = nextLink(request, entity, query, offset + page.length, topLeft);
  const applied: string[] = [];
  if (prefer.maxPageSize !== undefined) applied.push(`odata.maxpagesize=${prefer.maxPageSize}`);
  if (prefer.includeAnnotations !== undefined) applied.push(`odata.include-annotations="${prefer.includeAnnotations}"`);
  preferenceApplied(reply, applied);
  return sendJson(reply, 200, body);
}

/** `<set>/$count`: a bare number (text/plain), honouring `$filter`. */
export async function getCount(store: Store, entity: EntityDef, request: FastifyRequest, reply: FastifyReply, scope?: FilterNode): Promise<FastifyReply> {
  const q = compileQuery(entity, queryOf(request));
  return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(String(await store.records.count(entity, within(q.filter, scope))));
}

export async function getRecord(store: Store, entity: EntityDef, id: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = compileQuery(entity, queryOf(request));
  const row = await store.records.get(entity, id);
  if (!row) throw notFound(`${entity.name} with id ${id} does not exist`);
  const prefer = parsePrefer(request.headers.prefer);
  const ifNone = ifNoneMatch(request);
  // As Dataverse: formatted values and annotations may change while the record's version does not, so no 304 with
  // them ($expand, the other such case, is refused by compileQuery).
  if (prefer.includeAnnotations === undefined && noneMatchHits(ifNone, row['versionnumber'])) {
    return reply.code(304).header('etag', etagOf(row['versionnumber'])).send();
  }
  const record = toApiRecord(entity, row, { select: q.select, annotations: prefer.includeAnnotations });
  reply.header('etag', String(record['@odata.etag']));
  return sendJson(reply, 200, { '@odata.context': contextUrl(request, entity, q.select, true), ...record });
}

/** A record as answered by POST/PATCH with `Prefer: return=representation`. */
export function representation(request: FastifyRequest, entity: EntityDef, row: Record<string, unknown>): Record<string, unknown> {
  const prefer = parsePrefer(request.headers.prefer);
  return { '@odata.context': contextUrl(request, entity, undefined, true), ...toApiRecord(entity, row, { annotations: prefer.includeAnnotations }) };
}

export function serviceDocument(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendJson(reply, 200, {
    '@odata.context': `${serviceRoot(request)}/$metadata`,
    value: Object.values(entities).map((e) => ({ name: e.set, kind: 'EntitySet', url: e.set })),
  });
}

export function metadata(reply: FastifyReply): FastifyReply {
  return reply.code(200).header('content-type', 'application/xml; charset=utf-8').send(metadataDocument());
}
