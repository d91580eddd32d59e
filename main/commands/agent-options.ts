import { hostname, homedir } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { convertValue } from '../agent/config/convert.js';
import { ConfigError, loadAgentConfig } from '../agent/config/load.js';
import { agentOptions, attributeName, configFileOption, type OptionSpec } from '../agent/config/options.js';
import type { AgentConfig, PartialSettings } from '../agent/config/schema.js';
import { defaultDataDir, runningAsService } from '../agent/config/data-dir.js';

/** commander Option for one setting: its env twin is named in the help; the value is converted as the env's is. */
export function settingOption(spec: OptionSpec): Option {
  const flags = spec.value ? `--${spec.flag} ${spec.value}` : `--${spec.flag}`;
  const defaults = spec.defaultText ? `, default: ${spec.defaultText}` : '';
  const list = spec.kind === 'list' ? ', comma-separated' : '';
  const option = new Option(flags, `${spec.description} (env: ${spec.env}${list}${defaults})`);
  if (!spec.value) return option;
  return option.argParser((raw: string, previous: unknown) => {
    let value: ReturnType<typeof convertValue>;
    try {
      value = convertValue(spec, raw);
    } catch (err) {
      throw new InvalidArgumentError(`${spec.flag} ${(err as Error).message}.`);
    }
    return spec.kind === 'list' && Array.isArray(previous) && Array.isArray(value) ? [...(previous as string[]), ...value] : value;
  });
}

/** Adds the given settings (default: all) and `--config` to a command. */
export function addSettingOptions(command: Command, keys?: readonly OptionSpec['key'][]): Command {
  for (const spec of agentOptions) if (!keys || keys.includes(spec.key)) command.addOption(settingOption(spec));
  command.addOption(new Option(`--${configFileOption.flag} ${configFileOption.value}`, `${configFileOption.description} (env: ${configFileOption.env})`));
  return command;
}

/** The settings commander parsed, keyed by setting name; flags not given are absent. */
export function settingsFromFlags(opts: Record<string, unknown>): PartialSettings {
  const out: Record<string, unknown> = {};
  for (const spec of agentOptions) {
    const v = opts[attributeName(spec.flag)];
    if (v !== undefined) out[spec.key] = v;
  }
  return out as PartialSettings;
}

/** flags > env > file > defaults, for this process. Throws ConfigError; `warn` hears of a secret given where others read it. */
export function resolveAgentConfig(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, warn?: (message: string) => void): AgentConfig {
  const isService = runningAsService(process.platform, env, process.getuid?.());
  const configPath = opts[configFileOption.flag];
  return loadAgentConfig({
    flags: settingsFromFlags(opts),
    configPath: typeof configPath === 'string' ? configPath : undefined,
    env,
    defaults: { name: hostname(), dataDir: defaultDataDir({ platform: process.platform, env, homedir: homedir(), isService }) },
    cwd: process.cwd(),
    ...(warn ? { warn } : {}),
  });
}

export { ConfigError };
