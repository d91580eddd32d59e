import type { FastifyRequest } from 'fastify';
import { badRequest } from './api-error.js';

/** A record's ETag as the API emits it (weak: Dataverse's `@odata.etag` is weakly validating). */
export const etagOf = (version: unknown): string => `W/"${String(version)}"`;

const ETAG = /^(?:W\/)?"(\d{1,15})"$/;

/** `If-Match` or `If-None-Match` as `*` or the versions it names (a comma-separated list; `W/` ignored: weak comparison). */
function condition(request: FastifyRequest, name: 'if-match' | 'if-none-match', reason: string): '*' | number[] | undefined {
  const header = request.headers[name];
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  return value.split(',').map((part) => {
    const m = ETAG.exec(part.trim());
    if (!m) throw badRequest(`${name === 'if-match' ? 'If-Match' : 'If-None-Match'} '${value.slice(0, 80)}' is not an ETag like W/"3" (or *)`, reason);
    return Number(m[1]);
  });
}

/** `If-Match`: absent → undefined; `*` → the record must exist (no version check); `W/"n"` or `"n"` → version n. */
export function ifMatch(request: FastifyRequest): '*' | number | undefined {
  const c = condition(request, 'if-match', 'InvalidIfMatch');
  if (c === undefined || c === '*') return c;
  if (c.length !== 1) throw badRequest('If-Match must name one ETag (or *)', 'InvalidIfMatch');
  return c[0];
}

/** The version `If-Match` requires, or undefined (absent or `*`). */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const c = ifMatch(request);
  return c === '*' ? undefined : c;
}

/** `If-None-Match`: absent → undefined; `*` → any existing record matches; else the versions that match. */
export const ifNoneMatch = (request: FastifyRequest): '*' | number[] | undefined => condition(request, 'if-none-match', 'InvalidIfNoneMatch');

/** Whether a record at `version` matches an `If-None-Match` condition (so a GET answers 304, a write 412). */
export const noneMatchHits = (c: '*' | number[] | undefined, version: unknown): boolean =>
  c !== undefined && (c === '*' || c.some((v) => v === version));

/** The conditions of a PATCH, checked against the record inside the write's transaction. */
export interface Preconditions {
  readonly ifMatch?: '*' | number;
  readonly ifNoneMatch?: '*' | number[];
}

export const preconditions = (request: FastifyRequest): Preconditions => {
  const m = ifMatch(request);
  const n = ifNoneMatch(request);
  return { ...(m === undefined ? {} : { ifMatch: m }), ...(n === undefined ? {} : { ifNoneMatch: n }) };
};
