import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from './auth/secrets.js';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const ADMIN_TOKEN_ENV = 'FLOWHOST_ADMIN_TOKEN';
const MIN_TOKEN_LENGTH = 16;

export interface AdminToken {
  readonly token: string;
  /** Where the token is kept; undefined when it came from an option or the environment. */
  readonly file: string | undefined;
  /** Where it came from; `generated` means a new token was just written to `file` (print it once). */
  readonly source: 'option' | 'env' | 'file' | 'generated';
}

export interface AdminTokenOptions {
  readonly dataDir: string;
  readonly option?: string;
  /** Where `option` came from, in an error (default `--admin-token`). */
  readonly optionSource?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A configured admin token that cannot be used (a usage error, not a crash). */
export class AdminTokenError extends Error {
  override readonly name = 'AdminTokenError';
}

function checked(token: string, from: string): string {
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH || /\s/.test(t)) throw new AdminTokenError(`the admin token from ${from} must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
  return t;
}

/** Option > env FLOWHOST_ADMIN_TOKEN > `<dataDir>/admin-token` > a new token written there with mode 0600. */
export function resolveAdminToken(o: AdminTokenOptions): AdminToken {
  if (o.option !== undefined) return { token: checked(o.option, o.optionSource ?? '--admin-token'), file: undefined, source: 'option' };
  const fromEnv = (o.env ?? process.env)[ADMIN_TOKEN_ENV];
  if (fromEnv) return { token: checked(fromEnv, ADMIN_TOKEN_ENV), file: undefined, source: 'env' };
  const file = join(o.dataDir, ADMIN_TOKEN_FILE);
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined) {
    // Tighten a file whose mode was loosened by hand: the token is the key to the whole API.
    chmodSync(file, 0o600);
    return { token: checked(existing, file), file, source: 'file' };
  }
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const token = newSecret(32);
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, file, source: 'generated' };
}
