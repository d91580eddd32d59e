import { describe, expect, it } from 'vitest';
import { agentOptions, attributeName, configFileOption } from '../../../../../main/agent/config/options.js';
import { settingsProperties } from '../../../../../main/agent/config/schema.js';
import { agentCommand } from '../../../../../main/commands/agent-command.js';
import { settingsFromFlags } from '../../../../../main/commands/agent-options.js';

describe('agent command table ↔ config (every flag has an env twin and a schema key)', () => {
  const command = agentCommand();
  const flags = command.options.map((o) => o.long?.replace(/^--/, '')).filter((f): f is string => Boolean(f) && f !== 'help');

  it('every flag of `flowhost agent` is a setting with an env twin and a schema key, or --config', () => {
    for (const flag of flags) {
      if (flag === configFileOption.flag) continue;
      const spec = agentOptions.find((o) => o.flag === flag);
      expect(spec, `--${flag} is not in the options table`).toBeDefined();
      expect(spec?.env, `--${flag}`).toMatch(/^FLOWHOST_[A-Z_]+$/);
      expect(Object.keys(settingsProperties), `--${flag}`).toContain(spec?.key);
    }
  });

  it('every schema key has a flag on the command, and env names and flags are unique', () => {
    for (const key of Object.keys(settingsProperties)) {
      const spec = agentOptions.find((o) => o.key === key);
      expect(spec, `setting ${key} has no flag`).toBeDefined();
      expect(flags).toContain(spec?.flag);
    }
    const envs = [...agentOptions.map((o) => o.env), configFileOption.env];
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(agentOptions.map((o) => o.flag)).size).toBe(agentOptions.length);
  });

  it('every option names its env twin in the help', () => {
    const help = command.helpInformation().replace(/\s+/g, ' ');
    for (const spec of agentOptions) expect(help).toContain(spec.env);
    expect(help).toContain(configFileOption.env);
  });

  it('parsed flags come back keyed by setting, repeatable flags collected', async () => {
    const parsed = agentCommand().exitOverride();
    parsed.action(() => undefined);
    await parsed.parseAsync(['--capacity', '3', '--session-user', 'a', '--session-user', 'b,c', '--attended', '--group-password', 'pw'], { from: 'user' });
    expect(settingsFromFlags(parsed.opts())).toEqual({ capacity: 3, sessionUsers: ['a', 'b', 'c'], attended: true, groupPassword: 'pw' });
    expect(attributeName('sample-interval-ms')).toBe('sampleIntervalMs');
  });
});
