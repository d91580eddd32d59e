import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../../../shared/validate.js';
import { writePrivateFileAtomic } from '../../../node-shared/private-file.js';

/** What registration leaves in `<dataDir>/credentials.json` (mode 0600). */
export const Credentials = Type.Object(
  {
    flowmachineid: Type.String({ format: 'uuid' }),
    flowmachinegroupid: Type.Optional(Type.String({ format: 'uuid' })),
    credential: Type.String({ minLength: 32, maxLength: 256 }),
    callbackSecret: Type.String({ minLength: 16, maxLength: 256 }),
    /** The orchestrator's instances, `URL,URL,…` (registration/orchestrator-url.ts). */
    orchestrator: Type.String({ minLength: 1, maxLength: 16_384 }),
    group: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type Credentials = Static<typeof Credentials>;

const credentials = validator(Credentials);

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Reads the stored credentials, or undefined when the file does not exist. A corrupt file is an error, not a re-register. */
export function readCredentials(file: string): Credentials | undefined {
  if (!existsSync(file)) return undefined;
  return parseCredentials(readFileSync(file, 'utf8'), `credentials file ${file}`);
}

/** Stored credentials from their JSON text; `source` names where it came from in the error of a corrupt or invalid text. */
export function parseCredentials(text: string, source: string): Credentials {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(`${source} is unreadable (${(err as Error).message}); remove it to register this machine again`);
  }
  if (!credentials.check(raw)) {
    throw new CredentialsError(`${source} is invalid (${credentials.errors('credentials').join('; ')}); remove it to register again`);
  }
  return raw;
}

/** Writes the credentials atomically to a 0600 file (see writePrivateFileAtomic). */
export function writeCredentials(file: string, value: Credentials): void {
  const checked = credentials.parse(value, 'credentials');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writePrivateFileAtomic(file, `${JSON.stringify(checked, null, 2)}\n`);
}
