import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { STATUS_ENDPOINT_FILE, STATUS_TOKEN_FILE } from '../../../shared/status.js';
import { validator } from '../../../shared/validate.js';
import { loadOrCreateTokenFile, readTokenFile } from '../../../node-shared/token-file.js';

/** The status endpoint's token from `<dataDir>/status-token`, created (random, mode 0600) on first use. */
export function loadOrCreateStatusToken(dataDir: string): string {
  return loadOrCreateTokenFile(join(dataDir, STATUS_TOKEN_FILE));
}

/** The token, or undefined when there is no valid token file. */
export function readStatusToken(dataDir: string): string | undefined {
  return readTokenFile(join(dataDir, STATUS_TOKEN_FILE));
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
