import { deriveCallbackKey } from '../../shared/callback-signature.js';
import { newSecret } from '../auth/secrets.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';
import { StoreError, type Repositories } from '../store/store.js';

const MIN_SECRET_LENGTH = 16;

/**
 * The group's callback secret; a group that has none (or a too short one) gets a new one first. Two callers that
 * find none at once (two agents' hellos) must not each make one (the first one's key would stop verifying): the
 * new secret is written only over the version read, and a caller that lost the race reads the winner's.
 */
export async function groupCallbackSecret(store: Repositories, groupId: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const group = await store.groups.get(groupId);
    if (!group) return undefined;
    const secret = group.callbacksecret;
    if (secret !== null && secret.length >= MIN_SECRET_LENGTH) return secret;
    try {
      return await rotateCallbackSecret(store, groupId, group.versionnumber);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'PreconditionFailed') || attempt >= 5) throw err;
    }
  }
}

/**
 * Replaces the group's callback secret: every key derived from the old one stops verifying. Returns the new secret.
 * With `ifVersion`, only over that version of the group (StoreError PreconditionFailed otherwise).
 */
export async function rotateCallbackSecret(store: Repositories, groupId: string, ifVersion?: number): Promise<string> {
  const secret = newSecret();
  await store.groups.update(groupId, { callbacksecret: secret }, ifVersion);
  return secret;
}

/** The key a machine signs its callbacks with (derived from its group's secret), or undefined for a machine without a group. */
export async function machineCallbackKey(store: Repositories, machineId: string): Promise<string | undefined> {
  const groupId = (await store.machines.get(machineId))?._flowmachinegroupid_value;
  const secret = groupId ? await groupCallbackSecret(store, groupId) : undefined;
  return secret === undefined ? undefined : deriveCallbackKey(secret, machineId, nodeHmacSha256);
}
