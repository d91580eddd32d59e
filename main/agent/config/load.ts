import { parseDisplaySize } from './display-settings.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { validator, ValidationError } from '../../../shared/validate.js';
import { sharedFileMode } from '../../../node-shared/private-file.js';
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
  /** Told (without the value) when a secret comes where others can read it: argv, a config file others may read. */
  readonly warn?: (message: string) => void;
}

/** Settings that are paths: relative ones are taken from the cwd (flags, env) or the config file's folder. */
const PATH_KEYS = ['dataDir', 'groupPasswordFile', 'orchestratorCa'] as const;
/** `-` as a secret file means standard input. */
export const STDIN_PATH = '-';

const partial = validator(PartialSettings);
const fileSchema = validator(ConfigFile);
const merged = validator(AgentConfig);

/** Precedence: flags > env > config file > defaults; the merged result is checked against one schema. */
export function loadAgentConfig(sources: ConfigSources): AgentConfig {
  const configPath = sources.configPath ?? nonEmpty(sources.env[configFileOption.env]);
  const configFile = configPath ? resolve(sources.cwd, configPath) : undefined;
  const file = configFile ? readConfigFile(configFile, sources.readFile) : {};
  const env = settingsFromEnv(sources.env);
  if (!partial.check(sources.flags)) throw new ConfigError(`invalid flags: ${partial.errors('flags').join('; ')}`);
  const flags: PartialSettings = { ...sources.flags };
  resolvePaths(env, sources.cwd);
  resolvePaths(flags, sources.cwd);
  const password = oneGroupPassword([
    ['the command line', flags],
    ['the environment', env],
    [`config file ${configFile ?? ''}`, file],
  ]);
  const result = {
    capacity: 1,
    sessionUsers: [],
    attended: false,
    sampleIntervalMs: 1000,
    callbackAllow: [],
    logLevel: 'info',
    ...sources.defaults,
    ...withoutPassword(file),
    ...withoutPassword(env),
    ...withoutPassword(flags),
    ...password,
  };
  if (!merged.check(result)) throw new ConfigError(`invalid configuration: ${merged.errors('config').join('; ')}`);
  checkDisplaySize(result.displaySize);
  warnOfExposedSecrets(sources, flags, configFile !== undefined && file.groupPassword !== undefined ? configFile : undefined);
  return result;
}

/** The size's pattern is in the schema; its bounds are checked here, with a message that names them. */
function checkDisplaySize(size: string | undefined): void {
  if (size === undefined) return;
  try {
    parseDisplaySize(size);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
}

/** The group password comes from the highest source that gives it or its file; one source may not give both. */
function oneGroupPassword(layers: readonly (readonly [string, PartialSettings])[]): Pick<PartialSettings, 'groupPassword' | 'groupPasswordFile'> {
  for (const [name, s] of layers) {
    if (s.groupPassword !== undefined && s.groupPasswordFile !== undefined) throw new ConfigError(`${name} gives both groupPassword and groupPasswordFile; give one`);
    if (s.groupPassword !== undefined) return { groupPassword: s.groupPassword };
    if (s.groupPasswordFile !== undefined) return { groupPasswordFile: s.groupPasswordFile };
  }
  return {};
}

function warnOfExposedSecrets(sources: ConfigSources, flags: PartialSettings, fileWithSecret: string | undefined): void {
  const warn = sources.warn ?? (() => undefined);
  if (flags.groupPassword !== undefined) {
    warn('the group password was given on the command line (--group-password), where every user of this machine can read it (ps, /proc/<pid>/cmdline); use --group-password-file or FLOWHOST_GROUP_PASSWORD_FILE');
  }
  const shared = fileWithSecret === undefined ? undefined : sharedFileMode(fileWithSecret);
  if (shared) warn(`config file ${fileWithSecret} holds the group password and may be read by group or others ${shared}; chmod 600 it, or keep the password in a groupPasswordFile`);
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
    resolvePaths(settings, dirname(path));
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

function resolvePaths(settings: PartialSettings, base: string): void {
  for (const key of PATH_KEYS) {
    const value = settings[key];
    if (value !== undefined && !(key === 'groupPasswordFile' && value === STDIN_PATH)) settings[key] = resolve(base, value);
  }
}

function withoutPassword(settings: PartialSettings): PartialSettings {
  const { groupPassword: _password, groupPasswordFile: _file, ...rest } = withoutUndefined(settings);
  return rest;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
