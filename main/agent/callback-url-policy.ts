import { lookup } from 'node:dns/promises';
import { checkCallbackUrl as checkWithLookup, type CallbackUrlPolicyOptions as PurePolicyOptions, type PolicyResult } from '../../shared/callback-policy.js';

export type { CallbackTarget, PolicyResult } from '../../shared/callback-policy.js';

/** The callback policy of shared/callback-policy.ts; `lookupAll` defaults to node:dns (every address, as the OS orders them). */
export type CallbackUrlPolicyOptions = Omit<PurePolicyOptions, 'lookupAll'> & Partial<Pick<PurePolicyOptions, 'lookupAll'>>;

export const lookupAllAddresses = (hostname: string) => lookup(hostname, { all: true, verbatim: true });

export function checkCallbackUrl(raw: string, options: CallbackUrlPolicyOptions): Promise<PolicyResult> {
  return checkWithLookup(raw, { ...options, lookupAll: options.lookupAll ?? lookupAllAddresses });
}
