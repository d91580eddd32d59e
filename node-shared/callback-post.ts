import type { LookupFunction } from 'node:net';
import type { CallbackTarget } from './callback-url.js';
import { httpExchange, HttpExchangeError } from './http-exchange.js';

export type SendResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | undefined; readonly location?: string | undefined }
  | { readonly kind: 'network-error'; readonly error: string };

/** Every connection goes to the address the policy checked, whatever DNS says now (no rebinding in between). */
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
export async function postOnce(target: CallbackTarget, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<SendResult> {
  try {
    const answer = await httpExchange(target.url.toString(), { method: 'POST', headers, body, timeoutMs, lookup: pinnedLookup(target), discardBody: true });
    return { kind: 'response', status: answer.status, retryAfter: answer.header('retry-after'), location: answer.header('location') };
  } catch (err) {
    return { kind: 'network-error', error: err instanceof HttpExchangeError ? err.reason : (err as Error).message };
  }
}
