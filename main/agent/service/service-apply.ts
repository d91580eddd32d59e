import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { PlannedCommand, ServicePlan } from './service-plan.js';

export interface CommandResult {
  readonly command: PlannedCommand;
  /** Exit code; null when the program could not be started (see `error`). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: string;
}

export interface ApplyOptions {
  /** Runs one command without a shell; default execFile. Tests pass fixtures. */
  readonly run?: (command: PlannedCommand) => Promise<CommandResult>;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface ApplyResult {
  readonly ok: boolean;
  readonly results: readonly CommandResult[];
}

/** Runs a program with an argv array (never a shell); resolves with its exit code and output. */
export function runCommand(command: PlannedCommand): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command.file, [...command.args], { windowsHide: true, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      const spawnError = err && code === null ? err.message : undefined;
      resolve({ command, code, stdout, stderr, ...(spawnError ? { error: spawnError } : {}) });
    });
  });
}

/** Writes a file atomically with its mode set before the rename, so a reader never sees half a unit. */
function writeAtomic(path: string, content: string, mode: number): void {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, content, { mode, flag: 'wx' });
  try {
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Carries out a plan's steps in order; stops at the first untolerated failure. */
export async function applyPlan(plan: ServicePlan, options: ApplyOptions = {}): Promise<ApplyResult> {
  const run = options.run ?? runCommand;
  const log = options.log ?? (() => undefined);
  const results: CommandResult[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'mkdir') {
      mkdirSync(step.path, { recursive: true, mode: step.mode });
      log(`created ${step.path}`);
      continue;
    }
    if (step.kind === 'write') {
      writeAtomic(step.path, step.content, step.mode);
      log(`wrote ${step.path}`);
      continue;
    }
    if (step.kind === 'remove') {
      rmSync(step.path, { force: true });
      log(`removed ${step.path}`);
      continue;
    }
    const command: PlannedCommand = { file: step.file, args: step.args, ...(step.tolerateFailure ? { tolerateFailure: true } : {}) };
    const result = await run(command);
    results.push(result);
    const what = [command.file, ...command.args].join(' ');
    if (result.code === 0) {
      log(`ran ${what}`);
      continue;
    }
    const why = result.error ?? `exit code ${String(result.code)}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`;
    if (!command.tolerateFailure) {
      log(`${what} failed (${why})`);
      return { ok: false, results };
    }
    log(`${what} failed (${why}); going on`);
  }
  return { ok: true, results };
}
