/**
 * The flow's environment for a run as another user. `setpriv` runs as root before it drops to the session user, and
 * the dynamic loader honours LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH … of whatever environment it starts with; so
 * setpriv starts with an empty one, and the flow's variables are set by a shell that setpriv starts as the session
 * user, from a file (0600, the user's): no secret ever in argv, no variable of the flow ever seen by a root process.
 */

/** The file in the work dir that holds the flow's variables. */
export const ENV_FILE_NAME = 'env.sh';

/**
 * Run as the session user with an empty environment: exports each `NAME='value'` line of the file ($0), then execs
 * the flow. dash exports PWD on its own, so it is unset first (the file sets it again when the flow's env has it).
 */
const APPLY_ENV = 'unset PWD; set -a; . "$0"; set +a; exec "$@"';

/** What `NAME=value` in a sourced file can set; the workflow schema allows no other names. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The env file's text; throws (a clear message, no value in it) on a name or value a shell cannot carry. */
export function envFileText(env: Readonly<Record<string, string>>): string {
  let text = '';
  for (const [name, value] of Object.entries(env)) {
    if (!SHELL_NAME.test(name)) throw new Error(`the environment variable name '${name.slice(0, 64)}' is not a shell identifier; a flow run as another user cannot have it`);
    if (value.includes('\0')) throw new Error(`the environment variable ${name} holds a NUL character, which no environment can carry`);
    text += `${name}='${value.replaceAll("'", "'\\''")}'\n`;
  }
  return text;
}

/** The command setpriv execs after the drop: the shell that applies `envFile`, then `file args…`. */
export function withEnvFile(envFile: string, file: string, args: readonly string[]): string[] {
  return ['/bin/sh', '-c', APPLY_ENV, envFile, file, ...args];
}
