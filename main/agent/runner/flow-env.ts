import type { UserIdentity } from '../process/session-user.js';

/** `FLOWHOST_INPUT_<NAME>`: name upper-cased, every character outside [A-Z0-9] becomes `_`. */
export function inputEnvName(name: string): string {
  return `FLOWHOST_INPUT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** One variable per top-level input; strings as is, other values as their JSON text. */
export function inputEnv(inputsJson: string): Record<string, string> {
  const inputs = JSON.parse(inputsJson) as unknown;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    env[inputEnvName(name)] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}

/** Variables a flow run as another user inherits from the agent; everything else (the agent's config!) stays out. */
const PASS_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TERM', 'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT'];

/**
 * The environment the flow starts from. As the agent's own user: the agent's env minus its FLOWHOST_* settings
 * (they may hold the group password). As another user: a small allow-list plus that user's HOME/USER/LOGNAME/SHELL.
 */
export function baseEnv(source: NodeJS.ProcessEnv, user: UserIdentity | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (user) {
    for (const key of PASS_THROUGH) if (source[key] !== undefined) env[key] = source[key] as string;
    Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell ?? '/bin/sh' });
    return env;
  }
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || key.startsWith('FLOWHOST_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    env[key] = value;
  }
  return env;
}
