import { checkCallbackUrl, type CallbackUrlPolicyOptions } from '../../node-shared/callback-url.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { ApiError } from './api-error.js';
import type { ApiTarget } from './paths.js';

/** A callback URL a request would store on a session, and where in the request it is. */
export interface RequestedCallbackUrl {
  readonly url: string;
  readonly what: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The callback URLs a request would store on a session: RunDesktopFlow's `callbackUrl`, a flowsession's `callbackurl`
 * (POST, PATCH) and those of the targets of a flowsessions bulk action. Values of the wrong type are left to the schema.
 */
export function requestedCallbackUrls(target: ApiTarget, method: string, body: unknown): RequestedCallbackUrl[] {
  if (!isObject(body)) return [];
  const one = (value: unknown, what: string): RequestedCallbackUrl[] => (typeof value === 'string' ? [{ url: value, what }] : []);
  if (target.kind === 'record-action' && target.entity.set === 'workflows' && target.action === 'RunDesktopFlow') return one(body['callbackUrl'], 'RunDesktopFlow body: callbackUrl');
  if (!('entity' in target) || target.entity.set !== flowsessionEntity.set) return [];
  if ((target.kind === 'collection' && method === 'POST') || (target.kind === 'record' && method === 'PATCH')) return one(body['callbackurl'], 'callbackurl');
  if (target.kind === 'collection-action' && Array.isArray(body['Targets'])) {
    return body['Targets'].flatMap((t: unknown, i) => (isObject(t) ? one(t['callbackurl'], `${target.action} Targets[${i}].callbackurl`) : []));
  }
  return [];
}

/**
 * Refuses (400 CallbackUrlRefused) a callback URL that the one callback policy (node-shared/callback-url.ts, the
 * sender's own check) refuses for good with this orchestrator's `--callback-allow`, so that the caller learns it now
 * instead of from a callback that never comes. A name that does not resolve at the moment passes: the sender retries
 * that like a network error.
 */
export async function refuseCallbackUrls(urls: readonly RequestedCallbackUrl[], policy: CallbackUrlPolicyOptions): Promise<void> {
  // One check per distinct URL (a bulk action may carry the same one a thousand times).
  for (const { url, what } of new Map(urls.map((u) => [u.url, u])).values()) {
    const result = await checkCallbackUrl(url, policy);
    if (!result.ok && result.refused) throw new ApiError(400, ErrorCode.CallbackUrlRefused, `${what}: callback URL refused: ${result.reason}`);
  }
}
