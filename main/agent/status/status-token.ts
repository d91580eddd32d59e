import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { STATUS_ENDPOINT_FILE, STATUS_TOKEN_FILE } from '../../../shared/status.js';
import { validator } from '../../../shared/validate.js';
import { newToken } from '../../../node-shared/tokens.js';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/** The status endpoint's token from `<dataDir>/status-token`, created (random, mode 0600) on first use. */
export function loadOrCreateStatusToken(dataDir: string): string {
  const file = join(dataDir, STATUS_TOKEN_FILE);
  const existing = readStatusToken(dataDir);
  if (existing !== undefined) {
    chmodSync(file, 0o600);
    return existing;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = newToken(32);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // the mode of writeFileSync is only applied to a new file
  return token;
}

/** The token, or undefined when there is no valid token file. */
export function readStatusToken(dataDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, STATUS_TOKEN_FILE), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return TOKEN_PATTERN.test(text) ? text : undefined;
}


const StatusEndpoint = Type.Object({ url: Type.String({ maxLength: 200 }), pid: Type.Integer({ minimum: 1 }), startedon: Type.String({ maxLength: 64 }) });
const endpointValidator = validator(StatusEndpoint);
export interface StatusEndpoint {
  readonly url: string;
  readonly pid: number;
  readonly startedon: string;
}

/** Records where the running endpoint listens, so `flowhost status` can find it. */
export function writeStatusEndpoint(dataDir: string, endpoint: StatusEndpoint): void {
  writeFileSync(join(dataDir, STATUS_ENDPOINT_FILE), `${JSON.stringify(endpoint)}\n`, { mode: 0o600 });
}

export function removeStatusEndpoint(dataDir: string, pid: number): void {
  const current = readStatusEndpoint(dataDir);
  if (current?.pid === pid) rmSync(join(dataDir, STATUS_ENDPOINT_FILE), { force: true });
}

export function readStatusEndpoint(dataDir: string): StatusEndpoint | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, STATUS_ENDPOINT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const value: unknown = JSON.parse(text);
    return endpointValidator.check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
