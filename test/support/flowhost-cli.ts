import { execFile, spawn } from 'node:child_process';
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

/** A long-running `flowhost …` child (an agent, an orchestrator): its output so far, and ways to wait on and stop it. */
export interface FlowhostProcess {
  readonly pid: number;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the output once `pattern` appears in it; rejects when the process exits first. */
  waitForOutput(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (-1 for a signal) once the process has exited. */
  exited(): Promise<number>;
  /** SIGTERM (or `signal`), then waits for the exit; at once when it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Starts `node bin/flowhost.js …` and leaves it running; `stdin` is written to it and closed (else stdin is empty). */
export function startFlowhost(args: readonly string[], o: { env: Record<string, string>; cwd?: string; stdin?: string }): FlowhostProcess {
  const child = spawn(process.execPath, [FLOWHOST_BIN, ...args], { ...(o.cwd ? { cwd: o.cwd } : {}), env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(o.stdin ?? '');
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    pid: child.pid ?? 0,
    output: () => text,
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          listeners.delete(check);
          resolve(text);
        };
        listeners.add(check);
        check();
        void exit.then((code) => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          reject(new Error(`flowhost ${args[0] ?? ''} exited (${code}) before printing ${pattern}:\n${text}`));
        });
      }),
    exited: () => exit,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}
