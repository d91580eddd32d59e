import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { newToken } from './tokens.js';

/** What a token file may hold: URL-safe base64 of 24 to 96 random bytes. */
export const TOKEN_FILE_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/** The token in `file`, or undefined when there is no file or it holds no valid token. */
export function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return TOKEN_FILE_PATTERN.test(text) ? text : undefined;
}

/**
 * The token in `file`, created (random, mode 0600, its folder 0700) when there is none; a file whose mode was loosened
 * by hand is tightened back to 0600. The agent's status token and both programs' metrics tokens.
 */
export function loadOrCreateTokenFile(file: string): string {
  const existing = readTokenFile(file);
  if (existing !== undefined) {
    chmodSync(file, 0o600);
    return existing;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = newToken(32);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // the mode of writeFileSync is only applied to a new file
  return token;
}
