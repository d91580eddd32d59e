import type { OptionSpec } from './options.js';

export type SettingValue = string | number | boolean | string[];

/** Turns one flag or env string into its setting value; throws with a message naming what was wrong. */
export function convertValue(spec: Pick<OptionSpec, 'kind'>, raw: string): SettingValue {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'integer': {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw new Error(`must be an integer, got '${raw}'`);
      return Number.parseInt(raw.trim(), 10);
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new Error(`must be true or false, got '${raw}'`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
  }
}
