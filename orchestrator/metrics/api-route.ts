import { parseApiPath, type ApiTarget } from '../api/paths.js';
import { API_PATH } from '../api/reply.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS']);

/** A request method as a label: the methods HTTP defines; anything else is `OTHER`. */
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'OTHER');

function apiTargetLabel(target: ApiTarget, succeeded: boolean): string {
  // An action's name comes from the path: only an answered one is known to exist (a bounded set of label values).
  const action = (name: string) => (succeeded ? name : '{action}');
  switch (target.kind) {
    case 'service':
      return `${API_PATH}/`;
    case 'metadata':
      return `${API_PATH}/$metadata`;
    case 'function':
      return `${API_PATH}/${target.name}`;
    case 'collection':
      return `${API_PATH}/${target.entity.set}`;
    case 'count':
      return `${API_PATH}/${target.entity.set}/$count`;
    case 'record':
      return `${API_PATH}/${target.entity.set}({id})`;
    case 'record-action':
      return `${API_PATH}/${target.entity.set}({id})/${action(target.action)}`;
    case 'collection-action':
      return `${API_PATH}/${target.entity.set}/${action(target.action)}`;
    case 'file':
      return `${API_PATH}/${target.entity.set}({id})/${action(target.column)}/$value`;
  }
}

/**
 * The route of a request as a label with few values: the Web API's entity set, record or action (ids as `{id}`),
 * another route's pattern (`/api/backgroundoperation/:id`), or `unmatched`. Never a raw path, so no client can grow
 * the number of series.
 */
export function routeLabel(pattern: string | undefined, url: string, statusCode: number): string {
  if (pattern === undefined) return 'unmatched';
  if (pattern !== API_PATH && pattern !== `${API_PATH}/*`) return pattern;
  const path = url.split('?')[0]!;
  try {
    return apiTargetLabel(parseApiPath(path.length > API_PATH.length ? path.slice(API_PATH.length + 1) : ''), statusCode < 400);
  } catch {
    return `${API_PATH}/{unknown}`;
  }
}
