import { createHmac } from 'node:crypto';
import type { HmacSha256 } from '../../shared/callback-signature.js';

/** shared/callback-signature.ts's HMAC with node:crypto (also what the demo and test receivers verify with). */
export const nodeHmacSha256: HmacSha256 = (key, parts) => {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
};

/** Who signs this agent's callbacks: its machine id, with its current key (replaced when the orchestrator rotates it). */
export interface CallbackSigner {
  readonly signer: string;
  key(): string;
  /** The time to sign with (ms); default the delivery's clock. */
  nowMs?(): number;
}
