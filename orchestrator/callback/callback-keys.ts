import { deriveCallbackKey } from '../../shared/callback-signature.js';
import { newSecret } from '../auth/secrets.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';
import type { Repositories } from '../store/store.js';

const MIN_SECRET_LENGTH = 16;

/** The group's callback secret; a group that has none (or a too short one) gets a new one first. */
export function groupCallbackSecret(store: Repositories, groupId: string): string | undefined {
  const group = store.groups.get(groupId);
  if (!group) return undefined;
  const secret = group.callbacksecret;
  if (secret !== null && secret.length >= MIN_SECRET_LENGTH) return secret;
  return rotateCallbackSecret(store, groupId);
}

/** Replaces the group's callback secret: every key derived from the old one stops verifying. Returns the new secret. */
export function rotateCallbackSecret(store: Repositories, groupId: string): string {
  const secret = newSecret();
  store.groups.update(groupId, { callbacksecret: secret });
  return secret;
}

/** The key a machine signs its callbacks with (derived from its group's secret), or undefined for a machine without a group. */
export function machineCallbackKey(store: Repositories, machineId: string): string | undefined {
  const groupId = store.machines.get(machineId)?._flowmachinegroupid_value;
  const secret = groupId ? groupCallbackSecret(store, groupId) : undefined;
  return secret === undefined ? undefined : deriveCallbackKey(secret, machineId, nodeHmacSha256);
}
