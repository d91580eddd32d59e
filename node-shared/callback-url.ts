import { lookup } from 'node:dns/promises';
import { checkCallbackUrl as checkWithPlatform, type CallbackTarget as Target, type CallbackUrlPolicyOptions as PolicyOptions, type PolicyResult as Result } from '../shared/callback-policy.js';

export type CallbackTarget = Target<URL>;
export type PolicyResult = Result<URL>;

/** The callback policy of shared/callback-policy.ts with Node's URL; `lookupAll` defaults to node:dns (every address). */
export type CallbackUrlPolicyOptions = Pick<PolicyOptions, 'allow'> & Partial<Pick<PolicyOptions, 'lookupAll'>>;

/** Every address of a host name, in the resolver's order (the policy checks them all). */
export const lookupAllAddresses = (hostname: string) => lookup(hostname, { all: true, verbatim: true });

/** Both programs take the allow-list as `--callback-allow` (env FLOWHOST_CALLBACK_ALLOW); refusals name it. */
export function checkCallbackUrl(raw: string, options: CallbackUrlPolicyOptions): Promise<PolicyResult> {
  return checkWithPlatform(raw, { allow: options.allow, lookupAll: options.lookupAll ?? lookupAllAddresses, parseUrl: (text) => new URL(text), allowHow: '--callback-allow' });
}
