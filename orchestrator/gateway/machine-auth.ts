import { flowmachineEntity } from '../../shared/records/index.js';
import { verifySecretAsync } from '../auth/secrets.js';
import type { Row, Store } from '../store/store.js';

const BEARER = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{16,256})$/i;

/**
 * The machine a WebSocket upgrade authenticates as (`Authorization: Bearer <flowmachineid>.<credential>`),
 * (verified off the event loop) or undefined for an absent/malformed/wrong credential, a deleted machine or a revoked (Inactive) one.
 */
export async function authenticateMachine(store: Store, authorization: string | undefined): Promise<Row | undefined> {
  const m = BEARER.exec(authorization ?? '');
  if (!m) return undefined;
  const machine = store.get(flowmachineEntity, m[1]!.toLowerCase());
  if (!machine || Number(machine['statecode'] ?? 0) === 1) return undefined;
  return (await verifySecretAsync(m[2]!, machine['credentialhash'] as string | null)) ? machine : undefined;
}
