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

interface StoredHash {
  readonly params: { N: number; r: number; p: number };
  readonly salt: Buffer;
  readonly expected: Buffer;
}

/** The parts of a `scrypt$N$r$p$salt$hash` string, or undefined when it is missing or not of that form. */
function parseStored(stored: string | null | undefined): StoredHash | undefined {
  if (!stored) return undefined;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  return { params: { N: n, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), expected: Buffer.from(parts[5]!, 'base64url') };
}

export function verifySecret(secret: string, stored: string | null | undefined): boolean {
  const h = parseStored(stored);
  if (!h) return false;
  return timingSafeEqual(scryptSync(secret, h.salt, h.expected.length, h.params), h.expected);
}

/**
 * verifySecret on the libuv thread pool: a burst of agent reconnects (each one scrypt, ~40 ms of CPU) must not
 * block the event loop, or the pings of the agents already connected stall and they drop too.
 */
export async function verifySecretAsync(secret: string, stored: string | null | undefined): Promise<boolean> {
  const h = parseStored(stored);
  if (!h) return false;
  const actual = await new Promise<Buffer>((resolve, reject) => scrypt(secret, h.salt, h.expected.length, h.params, (err, key) => (err ? reject(err) : resolve(key))));
  return timingSafeEqual(actual, h.expected);
}

/** Constant-time comparison of two tokens of any length. */
export function tokensEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
