import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { newToken } from '../../node-shared/tokens.js';

const N = 16_384;
const R = 8;
const P = 1;
const KEYLEN = 32;

/** A new random secret (URL-safe base64): node-shared's token. */
export const newSecret = newToken;

/** `scrypt$N$r$p$salt$hash`: what the store keeps instead of a password someone chose (a group's). */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** hashSecret with scrypt on the libuv thread pool (the register route's decoy hash is made while serving). */
export async function hashSecretAsync(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

const scryptAsync = (secret: string, salt: Buffer, keylen: number, params: { N: number; r: number; p: number }): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(secret, salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key))));

/**
 * `sha256$hash`: what the store keeps instead of a token it generated itself (a machine credential, 256 random bits).
 * A slow, salted hash protects guessable passwords; a random 256-bit token cannot be guessed, so one SHA-256 keeps
 * it as safe at rest, and verifying it costs microseconds instead of ~40 ms of scrypt per agent (re)connect.
 */
export function hashToken(token: string): string {
  return `sha256$${sha256(token).toString('base64url')}`;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

type StoredHash =
  | { readonly kind: 'scrypt'; readonly params: { N: number; r: number; p: number }; readonly salt: Buffer; readonly expected: Buffer }
  | { readonly kind: 'sha256'; readonly expected: Buffer };

/** The parts of a `scrypt$N$r$p$salt$hash` or `sha256$hash` string, or undefined when it is missing or neither. */
function parseStored(stored: string | null | undefined): StoredHash | undefined {
  if (!stored) return undefined;
  const parts = stored.split('$');
  if (parts.length === 2 && parts[0] === 'sha256') return { kind: 'sha256', expected: Buffer.from(parts[1]!, 'base64url') };
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  return { kind: 'scrypt', params: { N: n, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), expected: Buffer.from(parts[5]!, 'base64url') };
}

const matches = (actual: Buffer, expected: Buffer): boolean => actual.length === expected.length && timingSafeEqual(actual, expected);

export function verifySecret(secret: string, stored: string | null | undefined): boolean {
  const h = parseStored(stored);
  if (!h) return false;
  if (h.kind === 'sha256') return matches(sha256(secret), h.expected);
  return matches(scryptSync(secret, h.salt, h.expected.length, h.params), h.expected);
}

/**
 * verifySecret with scrypt on the libuv thread pool: a burst of connects checked against scrypt hashes (machines
 * registered before credentials were SHA-256 hashed; ~40 ms of CPU each) must not block the event loop, or the pings
 * of the agents already connected stall and they drop too.
 */
export async function verifySecretAsync(secret: string, stored: string | null | undefined): Promise<boolean> {
  const h = parseStored(stored);
  if (!h) return false;
  if (h.kind === 'sha256') return matches(sha256(secret), h.expected);
  return matches(await scryptAsync(secret, h.salt, h.expected.length, h.params), h.expected);
}

/** Whether checking a secret against `stored` runs scrypt (tens of ms of CPU), not one SHA-256. */
export const isSlowHash = (stored: string | null | undefined): boolean => parseStored(stored)?.kind === 'scrypt';

