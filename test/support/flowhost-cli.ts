import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** The CLI entry point of this checkout. */
export const FLOWHOST_BIN = resolve(import.meta.dirname, '../../bin/flowhost.js');

export interface CliResult {
  /** The exit code; -1 when the process was killed (e.g. it ran past `timeoutMs`). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The parent's environment without FLOWHOST_* settings, so the CLI sees only what a test gives it. */
export const envWithoutFlowhost = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => !e[0].startsWith('FLOWHOST_') && e[1] !== undefined));

/** A bare environment: PATH only. */
export const pathOnlyEnv = (): Record<string, string> => ({ PATH: process.env['PATH'] ?? '' });

/** Runs `node bin/flowhost.js …` as a real child process and collects its output; never rejects. */
export function runFlowhost(args: readonly string[], o: { env: Record<string, string>; timeoutMs: number; cwd?: string }): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [FLOWHOST_BIN, ...args], { ...(o.cwd ? { cwd: o.cwd } : {}), env: o.env, timeout: o.timeoutMs }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
