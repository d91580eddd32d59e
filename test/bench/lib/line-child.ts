import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { within } from './stats.js';

/** Child processes still running: killed when the bench process exits, whatever way it ends. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A node child process that talks in lines on stdout (and takes lines on stdin). */
export interface LineChild {
  readonly pid: number;
  /** Resolves with the first line for which `pick` returns a value (rejects if the child exits first). */
  waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T>;
  onLine(fn: (line: string) => void): void;
  write(line: string): void;
  /** SIGTERM, then SIGKILL if it does not exit in time. */
  stop(): Promise<void>;
}

/** Starts `script` (TypeScript through tsx, or a plain .mjs) with node flags `nodeArgs` and arguments `args`. */
export function startLineChild(script: string, args: readonly string[], nodeArgs: readonly string[] = []): LineChild {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  const exited = once(child, 'exit');
  void exited.then(() => live.delete(child));
  const lines = createInterface({ input: child.stdout });
  return {
    pid: child.pid!,
    waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
      return within(
        Promise.race([
          new Promise<T>((resolve) =>
            lines.on('line', (l) => {
              const v = pick(l);
              if (v !== undefined) resolve(v);
            }),
          ),
          exited.then(([code]) => Promise.reject(new Error(`${script} exited with ${String(code)} before ${what}`))),
        ]),
        timeoutMs,
        what,
      );
    },
    onLine: (fn) => lines.on('line', fn),
    write: (line) => child.stdin.write(`${line}\n`),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await within(exited, 15_000, `${script} stop`).catch(() => child.kill('SIGKILL'));
    },
  };
}

/** The value of `key` in a JSON line, if the line is JSON and has it. */
export function jsonField<T>(line: string, key: string): T | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return (JSON.parse(line) as Record<string, T>)[key];
  } catch {
    return undefined;
  }
}
