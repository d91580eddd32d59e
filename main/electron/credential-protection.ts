// The machine credential at rest for the tray app: the registration writes credentials.json (0600, plain); when
// the protector can encrypt, it is replaced by credentials.protected and the plain file removed. No electron
// import here: safe-storage-protector.ts supplies the Electron implementation.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Credentials, CredentialsError, parseCredentials, readCredentials } from '../agent/registration/credentials.js';
import type { SecretProtector } from '../agent/registration/secret-protector.js';
import { writePrivateFileAtomic } from '../../node-shared/private-file.js';
import { validator } from '../../shared/validate.js';

const credentialsSchema = validator(Credentials);

export interface CredentialFiles {
  /** `<dataDir>/credentials.json`, as the agent core writes it. */
  readonly plain: string;
  /** `<dataDir>/credentials.protected`. */
  readonly protected: string;
}

export const protectedFileOf = (plainFile: string) => plainFile.replace(/\.json$/, '') + '.protected';

/** Credentials as loaded, and whether they came from the protected file (then there is nothing to protect). */
export interface StoredCredentials {
  readonly credentials: Credentials;
  readonly protected: boolean;
}

/** The stored credentials: the protected file first, then the plain one; undefined when neither exists. */
export function loadCredentials(files: CredentialFiles, protector: SecretProtector): StoredCredentials | undefined {
  if (existsSync(files.protected)) {
    let text: string;
    try {
      text = protector.unprotect(readFileSync(files.protected));
    } catch (err) {
      throw new CredentialsError(`cannot decrypt ${files.protected} with ${protector.kind} (${(err as Error).message}); another user's or machine's file? Remove it to register again`);
    }
    return { credentials: parseCredentials(text, `protected credentials file ${files.protected}`), protected: true };
  }
  const plain = readCredentials(files.plain);
  return plain && { credentials: plain, protected: false };
}

/**
 * Moves the plain credentials into the protected file when the protector can encrypt: written 0600 to a temp
 * file, synced, renamed, and only then the plain file removed. Returns whether the credential is now protected.
 */
export function protectCredentials(files: CredentialFiles, credentials: Credentials, protector: SecretProtector): boolean {
  if (!protector.isAvailable()) return false;
  writePrivateFileAtomic(files.protected, protector.protect(JSON.stringify(credentialsSchema.parse(credentials, 'credentials'))));
  rmSync(files.plain, { force: true });
  return true;
}
