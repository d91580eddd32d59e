import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { validator, ValidationError } from '../../../shared/validate.js';
import { convertValue } from './convert.js';
import { ConfigVersionError, migrateConfig } from './migrate.js';
import { agentOptions, configFileOption } from './options.js';
import { AgentConfig, ConfigFile, PartialSettings } from './schema.js';

/** A configuration that cannot be used; the message names the source and the bad key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigDefaults {
  readonly name: string;
  readonly dataDir: string;
}

export interface ConfigSources {
  /** Settings given as flags (already converted by the flag parsers). */
  readonly flags: PartialSettings;
  /** `--config` flag value, if any (FLOWHOST_CONFIG is read from `env`). */
  readonly configPath?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly defaults: ConfigDefaults;
  /** Base for relative paths given as flags or env. */
  readonly cwd: string;
  readonly readFile?: (path: string) => string;
}

const partial = validator(PartialSettings);
const fileSchema = validator(ConfigFile);
const merged = validator(AgentConfig);

/** Precedence: flags > env > config file > defaults; the merged result is checked against one schema. */
export function loadAgentConfig(sources: ConfigSources): AgentConfig {
  const configPath = sources.configPath ?? nonEmpty(sources.env[configFileOption.env]);
  const file = configPath ? readConfigFile(resolve(sources.cwd, configPath), sources.readFile) : {};
  const env = settingsFromEnv(sources.env);
  if (!partial.check(sources.flags)) throw new ConfigError(`invalid flags: ${partial.errors('flags').join('; ')}`);
  const flags: PartialSettings = { ...sources.flags };
  if (env.dataDir) env.dataDir = resolve(sources.cwd, env.dataDir);
  if (flags.dataDir) flags.dataDir = resolve(sources.cwd, flags.dataDir);
  const result = {
    capacity: 1,
    sessionUsers: [],
    attended: false,
    sampleIntervalMs: 1000,
    callbackAllow: [],
    logLevel: 'info',
    ...sources.defaults,
    ...withoutUndefined(file),
    ...withoutUndefined(env),
    ...withoutUndefined(flags),
  };
  if (!merged.check(result)) throw new ConfigError(`invalid configuration: ${merged.errors('config').join('; ')}`);
  return result;
}

/** Reads, migrates and validates a config file; relative `dataDir` is taken from the file's folder. */
export function readConfigFile(path: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): PartialSettings {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  try {
    const { schemaversion: _version, ...settings } = fileSchema.parse(migrateConfig(raw as Record<string, unknown>), 'config');
    if (settings.dataDir) settings.dataDir = resolve(dirname(path), settings.dataDir);
    return settings;
  } catch (err) {
    if (err instanceof ValidationError || err instanceof ConfigVersionError) throw new ConfigError(`config file ${path}: ${err.message}`);
    throw err;
  }
}

/** FLOWHOST_* variables → settings; an unparsable value names its variable. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): PartialSettings {
  const out: Record<string, unknown> = {};
  for (const spec of agentOptions) {
    const raw = env[spec.env];
    if (raw === undefined || (raw === '' && spec.kind !== 'boolean')) continue;
    try {
      out[spec.key] = convertValue(spec, raw);
    } catch (err) {
      throw new ConfigError(`environment variable ${spec.env} ${(err as Error).message}`);
    }
  }
  if (!partial.check(out)) {
    const names = new Map(agentOptions.map((o) => [o.key as string, o.env]));
    const details = partial.errors('env').map((d) => d.replace(/^(\w+)/, (k) => names.get(k) ?? k));
    throw new ConfigError(`invalid environment: ${details.join('; ')}`);
  }
  return out;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
