import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random token or secret: `bytes` random bytes, URL-safe base64 (the admin token, the status token, keys). */
export const newToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Whether a presented bearer token is the expected one, in time that depends on neither (both are hashed first, so
 * not even the length leaks). The admin token of the Web API and the agent's status token.
 */
export function tokensEqual(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}
