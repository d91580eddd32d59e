import { newToken } from '../../node-shared/tokens.js';
import { hashToken } from './secrets.js';

/**
 * A session's token: `fhs1.<flowsessionid>.<256 random bits>`. The id says which session's hash to check (one keyed
 * read, no scan); the random part is what proves it. The store keeps only `hashToken` of the whole token.
 */
const PREFIX = 'fhs1';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MintedToken {
  readonly token: string;
  readonly hash: string;
}

/** A new token for `sessionId` and the hash the session row keeps. */
export function mintSessionToken(sessionId: string): MintedToken {
  const token = `${PREFIX}.${sessionId}.${newToken()}`;
  return { token, hash: hashToken(token) };
}

/** The session a presented token names, or undefined when it is not shaped like a session token. */
export function sessionOfToken(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !GUID.test(parts[1]!) || parts[2]!.length < 32) return undefined;
  return parts[1]!.toLowerCase();
}
