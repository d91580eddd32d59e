// The orchestrator command's settings that name files: the admin token file and the TLS certificate and key. Read
// here, before the orchestrator starts, so a missing or empty file is a usage error that names it.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { readSecretFile } from '../agent/config/file-settings.js';
import { ConfigError } from '../agent/config/load.js';
import { sharedFileMode } from '../../node-shared/private-file.js';
import { CommandError, ExitCode } from './exit-codes.js';

export const ADMIN_TOKEN_FILE_ENV = 'FLOWHOST_ADMIN_TOKEN_FILE';
export const TLS_CERT_ENV = 'FLOWHOST_TLS_CERT';
export const TLS_KEY_ENV = 'FLOWHOST_TLS_KEY';

export interface OrchestratorFileOptions {
  readonly adminToken?: string;
  readonly adminTokenFile?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

/** The admin token given by the command (flag or file), with where it came from; undefined = the orchestrator's own rule. */
export interface GivenAdminToken {
  readonly token: string;
  readonly from: string;
}

/**
 * `--admin-token-file` (`-` = stdin) or `--admin-token` (not both), else FLOWHOST_ADMIN_TOKEN_FILE; undefined leaves
 * FLOWHOST_ADMIN_TOKEN and `<data-dir>/admin-token` to the orchestrator. `warn` hears of a token given on the
 * command line (never the token).
 */
export async function givenAdminToken(o: OrchestratorFileOptions, env: NodeJS.ProcessEnv, warn: (message: string) => void): Promise<GivenAdminToken | undefined> {
  if (o.adminToken !== undefined && o.adminTokenFile !== undefined) throw new CommandError('give --admin-token or --admin-token-file, not both', ExitCode.Usage);
  if (o.adminToken !== undefined) {
    warn(`the admin token was given on the command line (--admin-token), where every user of this machine can read it (ps, /proc/<pid>/cmdline); use --admin-token-file or ${ADMIN_TOKEN_FILE_ENV}`);
    return { token: o.adminToken, from: '--admin-token' };
  }
  const file = o.adminTokenFile ?? nonEmpty(env[ADMIN_TOKEN_FILE_ENV]);
  if (file === undefined) return undefined;
  const from = o.adminTokenFile !== undefined ? '--admin-token-file' : ADMIN_TOKEN_FILE_ENV;
  if (o.adminTokenFile === undefined && nonEmpty(env['FLOWHOST_ADMIN_TOKEN']) !== undefined) {
    throw new CommandError(`give FLOWHOST_ADMIN_TOKEN or ${ADMIN_TOKEN_FILE_ENV}, not both`, ExitCode.Usage);
  }
  warnIfShared(file, 'the admin token file', warn);
  return { token: await usage(readSecretFile(file, `the admin token file (${from})`)), from: `${from} ${file}` };
}

/** `--tls-cert` + `--tls-key` (else FLOWHOST_TLS_CERT + FLOWHOST_TLS_KEY): both or neither, checked to form a usable pair. */
export function givenTls(o: OrchestratorFileOptions, env: NodeJS.ProcessEnv, warn: (message: string) => void): { cert: string; key: string } | undefined {
  const certFile = o.tlsCert ?? nonEmpty(env[TLS_CERT_ENV]);
  const keyFile = o.tlsKey ?? nonEmpty(env[TLS_KEY_ENV]);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new CommandError('serving TLS needs both --tls-cert and --tls-key', ExitCode.Usage);
  const cert = readPem(certFile, '--tls-cert');
  const key = readPem(keyFile, '--tls-key');
  warnIfShared(keyFile, 'the TLS key file', warn);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new CommandError(`--tls-cert ${certFile} and --tls-key ${keyFile} do not make a usable TLS identity: ${(err as Error).message}`, ExitCode.Usage);
  }
  return { cert, key };
}

function readPem(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.Usage);
  }
  if (!text.includes('-----BEGIN ')) throw new CommandError(`${flag} ${file} holds no PEM data`, ExitCode.Usage);
  return text;
}

function warnIfShared(file: string, what: string, warn: (message: string) => void): void {
  const shared = file === '-' ? undefined : sharedFileMode(file);
  if (shared) warn(`${what} ${file} may be read by group or others ${shared}; chmod 600 it`);
}

async function usage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message, ExitCode.Usage);
    throw err;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
