import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CallbackTarget } from './callback-url-policy.js';

export type SendResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | undefined; readonly location?: string | undefined }
  | { readonly kind: 'network-error'; readonly error: string };

/** Every connection goes to the address the policy checked, whatever DNS says now. */
function pinnedLookup(target: CallbackTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}

/** One POST, redirects not followed, response body dropped; never throws. */
export function postOnce(target: CallbackTarget, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<SendResult> {
  const { url } = target;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request(
      {
        protocol: url.protocol,
        hostname: target.hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.length) },
        lookup: pinnedLookup(target),
        signal: AbortSignal.timeout(timeoutMs),
        agent: false,
      },
      (res: IncomingMessage) => {
        // The status decides; the body is drained and dropped (a receiver that streams forever cannot hold us).
        res.resume();
        res.on('error', () => undefined);
        done({ kind: 'response', status: res.statusCode ?? 0, retryAfter: header(res, 'retry-after'), location: header(res, 'location') });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.name === 'AbortError' || err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.code ?? err.message);
      done({ kind: 'network-error', error: reason });
    });
    req.end(body);
  });
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
