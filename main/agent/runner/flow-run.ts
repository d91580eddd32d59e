import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ErrorCode } from '../../../shared/error-codes.js';
import { SessionStatus } from '../../../shared/option-sets.js';
import type { ProcessTree } from '../process/kill-tree.js';
import type { LaunchPlan } from './flow-launch.js';
import { LineSplitter } from './line-splitter.js';
import { readOutputs } from './outputs-reader.js';
import { RunDeadline } from './run-clock.js';

export type CancelReason = 'cancelled' | 'timeout';

/** How a flow ended. */
export interface FlowResult {
  readonly statuscode: number;
  readonly errorcode?: string;
  readonly errormessage?: string;
  readonly errordetails?: string;
  readonly outputs?: string;
}

export interface FlowRunOptions {
  readonly plan: LaunchPlan;
  readonly tree: ProcessTree;
  /** Run timeout; paused time does not count. */
  readonly timeoutMs: number;
  /** SIGTERM → SIGKILL grace. */
  readonly killGraceMs: number;
  /** Longest line kept whole; longer ones are split. */
  readonly maxLineChars: number;
  readonly outputschema?: string;
  /** After the flow's leader exits, how long to wait for its pipes to close (a background child may hold them). Default 1000 ms. */
  readonly stdioDrainMs?: number;
  /** The whole lines of one read of a pipe: `count` lines joined by `\n`, masked, long ones split. */
  readonly onLines: (stream: 'stdout' | 'stderr', text: string, count: number) => void;
  /** Applied to whole lines (the block of one read) before a long one is split (secret masking). */
  readonly mask?: (line: string) => string;
  /** A cancel/timeout was decided (before signals are sent), for the session log. */
  readonly onCancel?: (reason: CancelReason) => void;
  /**
   * The run is about to end badly: cancelled or timed out (before any signal), or its leader exited non-zero (before
   * what it left in its group is killed). Awaited, so what the flow shows is still there (the display's screenshot).
   */
  readonly beforeStop?: () => Promise<void>;
}

/**
 * One flow process: spawned detached (it leads its own process group, so signals reach its whole tree),
 * stdout/stderr split into lines, run timeout, cancel (SIGTERM → grace → SIGKILL), pause/resume.
 */
export class FlowRun {
  private child: ChildProcess | undefined;
  private cancelReason: CancelReason | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly deadline: RunDeadline;
  private exited = false;
  /** Ends the wait for the pipes after the flow exited (a cancel then does not wait for a child holding them). */
  private stopDrain: (() => void) | undefined;
  readonly done: Promise<FlowResult>;
  private resolveDone!: (r: FlowResult) => void;

  constructor(private readonly options: FlowRunOptions) {
    this.deadline = new RunDeadline(options.timeoutMs, () => this.cancel('timeout'));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the flow; returns its pid, or undefined when it could not start (done then resolves FlowStartFailed). */
  start(): number | undefined {
    const { plan } = this.options;
    let child: ChildProcess;
    try {
      child = spawn(plan.file, [...plan.args], {
        cwd: plan.cwd,
        env: plan.env,
        detached: process.platform !== 'win32',
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        ...(plan.uid !== undefined ? { uid: plan.uid } : {}),
        ...(plan.gid !== undefined ? { gid: plan.gid } : {}),
      });
    } catch (err) {
      this.fail(err as Error);
      return undefined;
    }
    this.child = child;
    child.once('error', (err) => {
      if (!this.exited && child.pid === undefined) this.fail(err);
    });
    if (child.pid === undefined) return undefined;
    void this.watch(child, child.pid);
    this.deadline.start();
    return child.pid;
  }

  /**
   * Idempotent; the first reason wins (it picks Cancelled or TimedOut). After the flow exited and before its result
   * is in, a cancel ends the wait for its pipes: the session ends Cancelled without waiting on anything.
   */
  cancel(reason: CancelReason): void {
    if (this.cancelReason) return;
    if (this.exited) {
      if (!this.stopDrain) return; // its result is in (or it never started)
      this.cancelReason = reason;
      this.options.onCancel?.(reason);
      this.stopDrain();
      return;
    }
    this.cancelReason = reason;
    this.deadline.stop();
    this.options.onCancel?.(reason);
    const pid = this.pid;
    if (pid === undefined) return;
    const stop = () => {
      if (this.exited) return; // it ended while its picture was taken; watch() has killed its group
      this.options.tree.terminate(pid);
      this.killTimer = setTimeout(() => this.options.tree.kill(pid), this.options.killGraceMs);
    };
    if (this.options.beforeStop) void this.options.beforeStop().then(stop, stop);
    else stop();
  }

  /** Backpressure: stop reading the flow's pipes (a flow that writes more then waits), until `resumePipes` or its exit. */
  pausePipes(): void {
    if (this.exited) return;
    this.child?.stdout?.pause();
    this.child?.stderr?.pause();
  }

  resumePipes(): void {
    this.child?.stdout?.resume();
    this.child?.stderr?.resume();
  }

  pause(): boolean {
    if (this.pid === undefined || this.exited || this.cancelReason) return false;
    if (!this.options.tree.pause(this.pid)) return false;
    this.deadline.pause();
    return true;
  }

  resume(): boolean {
    if (this.pid === undefined || this.exited) return false;
    if (!this.options.tree.resume(this.pid)) return false;
    if (!this.cancelReason) this.deadline.start();
    return true;
  }

  private fail(err: Error): void {
    this.exited = true;
    this.deadline.stop();
    this.resolveDone({ statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.FlowStartFailed, errormessage: `the flow could not start: ${err.message}` });
  }

  private async watch(child: ChildProcess, pid: number): Promise<void> {
    const stdout = new LineSplitter(this.options.maxLineChars, (t, n) => this.options.onLines('stdout', t, n), this.options.mask);
    const stderr = new LineSplitter(this.options.maxLineChars, (t, n) => this.options.onLines('stderr', t, n), this.options.mask);
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    // events.once() rejects on 'error'; a pipe error must not keep the run from completing.
    const closed = Promise.all([child.stdout, child.stderr].map((s) => (s ? once(s, 'close').catch(() => undefined) : undefined)));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, sig) => resolve([c, sig])));
    this.deadline.stop();
    if (code !== 0 && !this.cancelReason && this.options.beforeStop) await this.options.beforeStop().catch(() => undefined);
    this.exited = true;
    // Paused by backpressure: what is left in the pipes (bounded by their size) is read now, held by the session log.
    this.resumePipes();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.stdioDrainMs ?? 1000);
      this.stopDrain = () => {
        clearTimeout(timer);
        resolve();
      };
      void closed.then(this.stopDrain);
    });
    this.stopDrain = undefined;
    // Processes the flow left behind in its group end with it.
    this.options.tree.kill(pid);
    child.stdout?.destroy();
    child.stderr?.destroy();
    stdout.end();
    stderr.end();
    clearTimeout(this.killTimer);
    this.resolveDone(this.result(code, signal));
  }

  private result(code: number | null, signal: NodeJS.Signals | null): FlowResult {
    if (this.cancelReason === 'timeout') {
      return { statuscode: SessionStatus.v.TimedOut, errorcode: ErrorCode.RunTimeout, errormessage: `the run timeout of ${Math.round(this.options.timeoutMs / 1000)} s passed` };
    }
    if (this.cancelReason === 'cancelled') return { statuscode: SessionStatus.v.Cancelled, errorcode: ErrorCode.Cancelled, errormessage: 'the session was cancelled' };
    if (code !== 0) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      return { statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.FlowExitCode, errormessage: `the flow ${how}`, errordetails: JSON.stringify({ exitCode: code, signal }) };
    }
    const outputs = readOutputs(this.options.plan.outputsFile, this.options.outputschema);
    if (!outputs.ok) {
      return { statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.OutputsInvalid, errormessage: outputs.message, errordetails: JSON.stringify(outputs.details) };
    }
    return { statuscode: SessionStatus.v.Succeeded, ...(outputs.outputs !== undefined ? { outputs: outputs.outputs } : {}) };
  }
}
