import { CONFIG_SCHEMA_VERSION } from './schema.js';

/** A config file object as read from disk, before it is validated. */
export type RawConfig = Record<string, unknown>;

/**
 * Pure upgrade steps: `steps[n]` turns a version-n file into a version-(n+1) file. Only v1 exists so far; a v2 adds
 * `2: (c) => ({ ...c, schemaversion: 2, renamed: c.old })` here and bumps CONFIG_SCHEMA_VERSION.
 */
export const migrationSteps: Readonly<Record<number, (config: RawConfig) => RawConfig>> = {};

export class ConfigVersionError extends Error {
  override readonly name = 'ConfigVersionError';
}

/** Brings a config file object up to CONFIG_SCHEMA_VERSION; never mutates its argument. */
export function migrateConfig(config: RawConfig, target = CONFIG_SCHEMA_VERSION, steps = migrationSteps): RawConfig {
  const version = config['schemaversion'];
  if (version === undefined) throw new ConfigVersionError(`missing required property 'schemaversion' (current version: ${target})`);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ConfigVersionError(`schemaversion must be a positive integer, got ${JSON.stringify(version)}`);
  }
  if (version > target) throw new ConfigVersionError(`schemaversion ${version} is newer than this agent understands (${target}); upgrade flowhost`);
  let current: RawConfig = { ...config };
  for (let v = version; v < target; v += 1) {
    const step = steps[v];
    if (!step) throw new ConfigVersionError(`no migration from schemaversion ${v} to ${v + 1}`);
    current = step(current);
    if (current['schemaversion'] !== v + 1) throw new ConfigVersionError(`migration from schemaversion ${v} did not produce ${v + 1}`);
  }
  return current;
}
