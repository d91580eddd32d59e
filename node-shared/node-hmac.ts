import { createHmac } from 'node:crypto';
import type { HmacSha256 } from '../shared/callback-signature.js';

/** shared/callback-signature.ts's HMAC with node:crypto: both programs sign with it, the demo and test receivers verify with it. */
export const nodeHmacSha256: HmacSha256 = (key, parts) => {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
};
