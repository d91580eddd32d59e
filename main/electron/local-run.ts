// The tray's "Run…": runs a workflow file Local by starting this app as `flowhost run` (the very command line
// path, with its log, store record and upstream report), and reads the outcome from its output. No electron import.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface LocalRunOptions {
  /** How to start the CLI: selfCliCommand() in the app; [node, bin/flowhost.js] in a checkout. */
  readonly self: readonly string[];
  readonly file: string;
  /** The tray agent's data dir: the run is stored there and the running agent reports it upstream. */
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface LocalRunResult {
  /** flowhost run's exit code: 0 Succeeded, 1 failed, 2 bad workflow file or inputs. */
  readonly code: number;
  readonly sessionId?: string;
  /** The final status label (Succeeded, Failed, Cancelled …) with its error code and message, if it got that far. */
  readonly outcome?: string;
  /** The last lines of the CLI's error output (why a run did not start). */
  readonly errors: readonly string[];
}

const localRunArgs = (file: string, dataDir: string): string[] => ['run', file, '--data-dir', dataDir];

/** Starts the run and resolves when its process ends. */
export function runLocalFlow(o: LocalRunOptions): Promise<LocalRunResult> {
  const [command, ...prefix] = o.self;
  if (command === undefined) return Promise.reject(new Error('no command to start the CLI with'));
  // ELECTRON_RUN_AS_NODE would make the app plain Node, which does not know --flowhost-cli.
  const { ELECTRON_RUN_AS_NODE: _, ...env } = o.env;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...localRunArgs(o.file, o.dataDir)], { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout = keepTail(stdout + text)));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = keepTail(stderr + text)));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(parseRunOutput(stdout, stderr, code ?? (signal ? 1 : 0))));
  });
}

/** Only the end of a long run's output matters (its last line is the outcome). */
const keepTail = (text: string, max = 64 * 1024) => (text.length > max ? text.slice(-max) : text);

/** The session id and outcome from `flowhost run`'s output ("session <id> (<name>) running locally…", "session <id>: <status>"). */
export function parseRunOutput(stdout: string, stderr: string, code: number): LocalRunResult {
  const started = /^session ([0-9a-f-]{36}) \(/m.exec(stdout);
  const sessionId = started?.[1];
  const ended = sessionId === undefined ? null : new RegExp(`^session ${sessionId}: (.+)$`, 'm').exec(stdout);
  const errors = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).slice(-5);
  return { code, ...(sessionId ? { sessionId } : {}), ...(ended?.[1] ? { outcome: ended[1] } : {}), errors };
}

/** The notification for a finished run. */
export function localRunNotice(file: string, result: LocalRunResult): { title: string; body: string } {
  const name = basename(file);
  if (result.outcome !== undefined) {
    return { title: `${name}: ${result.outcome.split(' (')[0]}`, body: `Local run ${result.sessionId ?? ''}: ${result.outcome}`.slice(0, 1000) };
  }
  return { title: `${name} did not run`, body: (result.errors.at(-1) ?? `flowhost run exited with code ${result.code}`).slice(0, 1000) };
}
