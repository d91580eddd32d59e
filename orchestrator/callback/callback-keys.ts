import { createHmac } from 'node:crypto';
import { deriveCallbackKey, ORCHESTRATOR_SIGNER, signCallback, type HmacSha256 } from '../../shared/callback-signature.js';
import { flowmachineEntity, flowmachinegroupEntity } from '../../shared/records/index.js';
import { newSecret } from '../auth/secrets.js';
import type { Store } from '../store/store.js';

/** shared/callback-signature.ts's HMAC with node:crypto. */
export const nodeHmacSha256: HmacSha256 = (key, parts) => {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
};

const MIN_SECRET_LENGTH = 16;

/** The group's callback secret; a group that has none (or a too short one) gets a new one first. */
export function groupCallbackSecret(store: Store, groupId: string): string | undefined {
  const group = store.get(flowmachinegroupEntity, groupId);
  if (!group) return undefined;
  const secret = group['callbacksecret'];
  if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) return secret;
  return rotateCallbackSecret(store, groupId);
}

/** Replaces the group's callback secret: every key derived from the old one stops verifying. Returns the new secret. */
export function rotateCallbackSecret(store: Store, groupId: string): string {
  const secret = newSecret();
  store.update(flowmachinegroupEntity, groupId, { callbacksecret: secret });
  return secret;
}

/** The key a machine signs its callbacks with (derived from its group's secret), or undefined for a machine without a group. */
export function machineCallbackKey(store: Store, machineId: string): string | undefined {
  const machine = store.get(flowmachineEntity, machineId);
  const groupId = machine?.['_flowmachinegroupid_value'];
  const secret = typeof groupId === 'string' ? groupCallbackSecret(store, groupId) : undefined;
  return secret === undefined ? undefined : deriveCallbackKey(secret, machineId, nodeHmacSha256);
}

/** X-Flowhost-Signature of a callback the orchestrator sends itself (signer `orchestrator`), with the group's current secret. */
export function signAsOrchestrator(groupSecret: string, body: string, now: Date): string {
  return signCallback(deriveCallbackKey(groupSecret, ORCHESTRATOR_SIGNER, nodeHmacSha256), ORCHESTRATOR_SIGNER, body, now.getTime() / 1000, nodeHmacSha256);
}
