import { once } from 'node:events';
import winston, { format, type Logger } from 'winston';
import { RotatingFileTransport } from './logger-rotating-file.js';
import { longestFirst, maskForms, maskSessionTokens, MIN_SECRET_LENGTH, secretForms } from '../../../shared/secret-mask.js';

/** The secrets masked in every log line; grows at runtime (secret inputs of sessions). */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  /** Registers a secret and its JSON-escaped, URL-encoded and base64 forms. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    const before = this.values.size;
    for (const f of secretForms(secret)) this.values.add(f);
    if (this.values.size !== before) this.ordered = longestFirst(this.values);
  }

  /** Every registered secret, and every session token (by its shape), replaced by `***`. */
  mask(text: string): string {
    return maskSessionTokens(maskForms(text, this.ordered));
  }

  get size(): number {
    return this.values.size;
  }
}

/** Masks every string inside a log entry (message and metadata, nested). */
function maskValue(value: unknown, secrets: SecretRegistry, depth = 0): unknown {
  if (typeof value === 'string') return secrets.mask(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, secrets, depth + 1);
  return out;
}

export const maskFormat = (secrets: SecretRegistry) =>
  format((info) => {
    if (secrets.size === 0) return info;
    for (const key of Object.keys(info)) info[key] = maskValue(info[key], secrets);
    return info;
  })();

export interface AgentLoggerOptions {
  /** `<dataDir>/logs/agent.log`; no file when absent. */
  readonly file?: string;
  readonly level?: string;
  /** Console transport (human-readable, stderr) or none. Default true. */
  readonly console?: boolean;
  readonly secrets?: SecretRegistry;
  /** Rotation: bytes per file and files kept. Defaults 10 MiB × 5. */
  readonly maxSize?: number;
  readonly maxFiles?: number;
}

export interface AgentLogger {
  readonly logger: Logger;
  readonly secrets: SecretRegistry;
  /** Ends the logger and resolves once the last line reached the file. */
  close(): Promise<void>;
}

/** The agent's own diagnostics: console + size-rotated JSON lines (`agent.log`, `agent.1.log` …), secrets masked in both. */
export function createAgentLogger(options: AgentLoggerOptions): AgentLogger {
  const secrets = options.secrets ?? new SecretRegistry();
  const transports: winston.transport[] = [];
  let file: RotatingFileTransport | undefined;
  if (options.file) {
    file = new RotatingFileTransport({ filename: options.file, maxSize: options.maxSize ?? 10 * 1024 * 1024, maxFiles: options.maxFiles ?? 5, format: format.json() });
    transports.push(file);
  }
  if (options.console ?? true) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: format.printf((info) => {
          const { level, message, timestamp, ...meta } = info;
          const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${extra}`;
        }),
      }),
    );
  }
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    format: format.combine(format.errors({ stack: true }), maskFormat(secrets), format.timestamp()),
    transports,
    exitOnError: false,
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const finished = file ? once(file, 'finish') : Promise.resolve();
      logger.end();
      await finished;
    })();
    return closing;
  };
  return { logger, secrets, close };
}
