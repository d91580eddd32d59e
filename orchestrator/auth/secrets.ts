import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16_384;
const R = 8;
const P = 1;
const KEYLEN = 32;

/** A new random secret (URL-safe base64). */
export const newSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** `scrypt$N$r$p$salt$hash`: what the store keeps instead of a password or credential. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function verifySecret(secret: string, stored: string | null | undefined): boolean {
  if (!stored) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = scryptSync(secret, salt, expected.length, { N: n, r, p });
  return timingSafeEqual(actual, expected);
}

/**
 * verifySecret on the libuv thread pool: a burst of agent reconnects (each one scrypt, ~40 ms of CPU) must not
 * block the event loop, or the pings of the agents already connected stall and they drop too.
 */
export async function verifySecretAsync(secret: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) => scrypt(secret, salt, expected.length, { N: n, r, p }, (err, key) => (err ? reject(err) : resolve(key))));
  return timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two tokens of any length. */
export function tokensEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
