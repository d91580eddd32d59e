import { createReadStream, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { sharedFileMode } from '../../../node-shared/private-file.js';
import { ConfigError, STDIN_PATH } from './load.js';
import { settingsProperties, type AgentConfig } from './schema.js';

/** A secret or certificate file longer than this is refused (a password or a PEM bundle is far smaller). */
const MAX_FILE_BYTES = 256 * 1024;

/**
 * Reads a secret from `path` (`-` = `stdin`): its text without trailing line breaks. A missing, unreadable, empty or
 * oversize file is a ConfigError naming `what` and the path, never the content.
 */
export async function readSecretFile(path: string, what: string, stdin?: Readable): Promise<string> {
  const from = path === STDIN_PATH ? 'standard input' : path;
  let text: string;
  try {
    text = (await readCapped(path === STDIN_PATH ? (stdin ?? process.stdin) : createReadStream(path))).toString('utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} from ${from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const secret = text.replace(/[\r\n]+$/, '');
  if (secret === '') throw new ConfigError(`${what} ${from} is empty`);
  return secret;
}

/**
 * The config with its file settings read: `groupPasswordFile` becomes `groupPassword` (`warn` hears when group or
 * others may read that file); the CA file is checked.
 */
export async function readFileSettings(config: AgentConfig, o: { stdin?: Readable; warn?: (message: string) => void } = {}): Promise<AgentConfig> {
  if (config.orchestratorCa !== undefined) readOrchestratorCa(config.orchestratorCa);
  if (config.groupPasswordFile === undefined) return config;
  const { groupPasswordFile, ...rest } = config;
  const shared = groupPasswordFile === STDIN_PATH ? undefined : sharedFileMode(groupPasswordFile);
  if (shared) o.warn?.(`the group password file ${groupPasswordFile} may be read by group or others ${shared}; chmod 600 it`);
  const groupPassword = await readSecretFile(groupPasswordFile, 'the group password file', o.stdin);
  const max = settingsProperties.groupPassword.maxLength ?? 256;
  if (groupPassword.length > max) throw new ConfigError(`the group password in ${groupPasswordFile} is longer than ${max} characters`);
  return { ...rest, groupPassword };
}

/** The PEM text of the orchestrator CA file; a ConfigError when it is unreadable or holds no certificate. */
export function readOrchestratorCa(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the orchestrator CA file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (pem.length > MAX_FILE_BYTES || !pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`the orchestrator CA file ${path} holds no PEM certificate`);
  return pem;
}

function readCapped(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > MAX_FILE_BYTES) {
        stream.destroy();
        reject(new Error(`longer than ${MAX_FILE_BYTES} bytes`));
        return;
      }
      chunks.push(buf);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
  });
}
