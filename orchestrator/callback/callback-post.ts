import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CallbackTarget } from '../../shared/callback-policy.js';

/** Every address of a host name, in the resolver's order (the policy checks them all). */
export const lookupAllAddresses = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

export type PostResult = { readonly status: number } | { readonly error: string };

/**
 * One callback POST to the address the policy checked, whatever DNS answers by now (no rebinding between the check
 * and the connection); redirects are not followed and the body is dropped. Never throws.
 */
export function postCallback(target: CallbackTarget<URL>, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    const answer = { address: target.address, family: target.family };
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, all: (typeof answer)[]) => void)(null, [answer]);
    else callback(null, answer.address, answer.family);
  };
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(target.url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res: IncomingMessage) => {
      res.resume();
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.name === 'AbortError' || err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.code ?? err.message) }));
    req.end(body);
  });
}
