import type { Logger } from 'winston';
import { FLOWLOG_DATA_MAX } from '../../../shared/records/flowlog.js';
import { WireLogLevel, type Sample } from '../../../shared/protocol.js';
import type { ProcessTree } from '../process/kill-tree.js';
import type { UserIdentity } from '../process/session-user.js';
import type { Sampler } from './sampler.js';
import { sessionMasker } from '../../../shared/secret-mask.js';
import type { AgentStore, LocalSession } from '../store/agent-store.js';
import { DisplayLease } from './desktop/display-lease.js';
import type { SessionDesktop } from './desktop/session-display.js';
import { prepareLaunch, removeWorkDir, withMoreEnv, type LaunchPlan } from './flow-launch.js';
import { FlowRun, type CancelReason, type FlowResult } from './flow-run.js';
import { monotonicMs } from './run-clock.js';
import { SessionLog } from './session-log.js';
import { SessionStatus } from '../../../shared/option-sets.js';
import { ErrorCode } from '../../../shared/error-codes.js';

/** How runs behave, passed as given from the SessionHost's options to every ActiveSession. */
export interface SessionRunTuning {
  /** Samples CPU/RAM while sessions run; none = no figures. */
  readonly sampler?: Sampler;
  /** ttl of callback outbox rows. Default 24 h. */
  readonly callbackTtlS?: number;
  /** Samples per `sample` event (default 10) and how long a log chunk waits for more lines (default 100 ms). */
  readonly sampleBatch?: number;
  readonly logFlushMs?: number;
  /** Lines longer than this are split (default FLOWLOG_DATA_MAX); tests make it small. */
  readonly maxLineChars?: number;
  /** How long to wait for a flow's pipes after it exits (default 1000 ms). */
  readonly stdioDrainMs?: number;
  /** Path of util-linux setpriv for runs as another user; null = use Node's uid/gid only; default: find it. */
  readonly setprivPath?: string | null;
  /** Environment flows inherit (default process.env, minus the agent's FLOWHOST_* settings). */
  readonly env?: NodeJS.ProcessEnv;
  /** The display each session gets by run mode (desktop/); none = flows get no display of flowhost's. */
  readonly desktop?: SessionDesktop;
  /** The Web API base of the orchestrator connected now (FLOWHOST_API_URL of flows that got a session token). */
  readonly apiUrl?: () => string | undefined;
}

/** Every key of SessionRunTuning (what a SessionHost passes on). */
export const SESSION_RUN_TUNING = ['sampler', 'callbackTtlS', 'sampleBatch', 'logFlushMs', 'maxLineChars', 'stdioDrainMs', 'setprivPath', 'env', 'desktop', 'apiUrl'] as const satisfies readonly (keyof SessionRunTuning)[];

export interface ActiveSessionOptions extends SessionRunTuning {
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly now: () => Date;
  readonly tree: ProcessTree;
  readonly killGraceMs: number;
  /** The environment flows of the agent's own user start from (flow-env.ts baseEnv), computed once per host. */
  readonly ownEnv?: Readonly<Record<string, string>>;
  /** Each new sample as it arrives (live figures), before it waits for its batch to be stored. */
  readonly onSample?: () => void;
}

/** One running session: its flow process, log, samples, and the single commit that completes it. */
export class ActiveSession {
  private run: FlowRun | undefined;
  private readonly log: SessionLog;
  private samples: Sample[] = [];
  private untrack: (() => void) | undefined;
  private plan: LaunchPlan | undefined;
  private display: DisplayLease | undefined;
  private readonly startedMono = monotonicMs();
  private finished = false;
  private giveUp = false;
  private wake: (() => void) | undefined;
  /** A cancel that came before the flow was spawned. */
  private cancelledEarly: CancelReason | undefined;
  readonly done: Promise<LocalSession>;

  constructor(
    private readonly session: LocalSession,
    private readonly user: UserIdentity | undefined,
    private readonly options: ActiveSessionOptions,
  ) {
    const mask = sessionMasker(session.inputs, session.secretInputs);
    this.log = new SessionLog({
      commit: (chunks) => options.store.appendLogChunks(session.sessionId, chunks, GROUP_COMMIT),
      onBackpressure: (pause) => (pause ? this.run?.pausePipes() : this.run?.resumePipes()),
      onCommitError: (err, held, dropped) =>
        options.logger.error('could not store session log lines; they are held in memory and retried', {
          sessionId: session.sessionId,
          held,
          dropped,
          error: (err as Error).message,
        }),
      mask,
      now: options.now,
      ...(options.logFlushMs !== undefined ? { flushMs: options.logFlushMs } : {}),
    });
    this.done = this.launch(mask);
  }

  get pid(): number | undefined {
    return this.run?.pid;
  }

  cancel(reason: CancelReason): void {
    if (this.finished) {
      // The flow ended but its end cannot be stored (disk full): stop waiting for space; the next start aborts it.
      this.giveUp = true;
      this.wake?.();
      return;
    }
    if (this.run) this.run.cancel(reason);
    else this.cancelledEarly ??= reason;
  }

  pause(): boolean {
    return this.run?.pause() ?? false;
  }

  resume(): boolean {
    return this.run?.resume() ?? false;
  }

  private async launch(mask: (s: string) => string): Promise<LocalSession> {
    const { session, options } = this;
    let plan: LaunchPlan;
    let recorded = false;
    try {
      plan = this.plan = prepareLaunch({
        sessionId: session.sessionId,
        flow: session.flow,
        inputs: session.inputs,
        dataDir: options.dataDir,
        ...(this.user ? { user: this.user } : {}),
        ...(options.setprivPath !== undefined ? { setprivPath: options.setprivPath } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.ownEnv ? { ownEnv: options.ownEnv } : {}),
        sessionEnv: this.sessionEnv(),
        recordWorkDir: (path, owner) => {
          options.store.recordWorkDir(session.sessionId, { path, ...owner });
          recorded = true;
        },
      });
    } catch (err) {
      // prepareLaunch removed the dir it had made.
      if (recorded) this.forgetWorkDir();
      return this.finish({ statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.FlowStartFailed, errormessage: `the flow could not be prepared: ${(err as Error).message}` });
    }
    try {
      plan = this.plan = await this.openDisplay(plan);
    } catch (err) {
      return this.finish({ statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.DisplayUnavailable, errormessage: `the session's display could not be started: ${(err as Error).message}` });
    }
    // The `started` commit (group-committed by the host) is durable before the flow runs: a power loss must not
    // undo a start whose flow may have done work.
    const synced = await this.durable();
    if (synced !== true) return this.finish({ statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.FlowStartFailed, errormessage: `the flow was not started: ${synced.message}` });
    if (this.cancelledEarly) return this.finish(cancelledBeforeSpawn(this.cancelledEarly));
    this.run = new FlowRun({
      plan,
      tree: options.tree,
      timeoutMs: session.session.timeout * 1000,
      killGraceMs: options.killGraceMs,
      maxLineChars: options.maxLineChars ?? FLOWLOG_DATA_MAX,
      ...(session.outputschema !== undefined ? { outputschema: session.outputschema } : {}),
      ...(options.stdioDrainMs !== undefined ? { stdioDrainMs: options.stdioDrainMs } : {}),
      mask,
      onLines: (stream, text, count) => this.log.addMasked(stream, text, count),
      onCancel: (reason) => this.log.add('agent', reason === 'timeout' ? 'run timeout reached: stopping the flow' : 'cancel requested: stopping the flow'),
      ...(this.display ? { beforeStop: () => (this.display as DisplayLease).capture() } : {}),
    });
    const pid = this.run.start();
    if (pid !== undefined) {
      options.store.recordPid(session.sessionId, pid);
      this.untrack = options.sampler?.track(session.sessionId, pid, (s) => this.addSample(s));
    }
    return this.finish(await this.run.done);
  }

  /**
   * What the flow needs to start child sessions: its token (never in argv; masked in every log by its shape) and the
   * Web API to present it to. Nothing when the orchestrator sent no token.
   */
  private sessionEnv(): Record<string, string> {
    const token = this.session.session.sessiontoken;
    const apiUrl = this.options.apiUrl?.();
    if (token === undefined) return {};
    return { FLOWHOST_SESSION_TOKEN: token, ...(apiUrl !== undefined ? { FLOWHOST_API_URL: apiUrl } : {}) };
  }

  /** The plan with the session's display (desktop/), when it gets one: DISPLAY & co. in the flow's environment. */
  private async openDisplay(plan: LaunchPlan): Promise<LaunchPlan> {
    const { desktop } = this.options;
    if (!desktop) return plan;
    const { session, options } = this;
    const display = (this.display = await DisplayLease.open(
      { desktop, store: options.store, logger: options.logger, now: options.now, note: (text) => this.log.add('agent', text) },
      { sessionId: session.sessionId, runmode: session.session.runmode, workDir: plan.workDir, ...(this.user ? { user: this.user } : {}) },
    ));
    return display ? display.launchPlan(withMoreEnv(plan, display.env, display.files)) : plan;
  }

  /**
   * Commits the session's last lines, samples and its completion. While the disk is full (or the store has an I/O
   * error) it tries again, up to every 30 s, so the result is kept once space returns instead of being lost.
   */
  private async commitEnd(completion: Parameters<ActiveSessionOptions['store']['complete']>[1]): Promise<LocalSession> {
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      let failure: Error;
      try {
        this.log.flush();
        if (this.log.held === 0) {
          this.flushSamples();
          return this.options.store.complete(this.session.sessionId, completion, GROUP_COMMIT);
        }
        failure = new Error(`${this.log.held} log line(s) are not stored yet`);
      } catch (err) {
        if (!isStorageFailure(err)) throw err;
        failure = err as Error;
      }
      if (this.giveUp) throw failure;
      this.options.logger.error('could not store the session end; retrying', { sessionId: this.session.sessionId, inMs: delay, error: failure.message });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, delay).unref();
      });
    }
  }

  /** Samples taken since the last stored batch, oldest first (the live end of the sparklines). */
  get unstoredSamples(): readonly Sample[] {
    return [...this.samples];
  }

  private addSample(sample: Sample): void {
    if (this.finished) return;
    this.samples.push(sample);
    if (this.samples.length >= (this.options.sampleBatch ?? 10)) {
      try {
        this.flushSamples();
      } catch (err) {
        // Held (see flushSamples) and stored with the next batch.
        this.options.logger.warn('could not store resource samples; retrying with the next batch', { sessionId: this.session.sessionId, error: (err as Error).message });
      }
    }
    this.options.onSample?.();
  }

  private flushSamples(): void {
    const batch = this.samples;
    this.samples = [];
    try {
      this.options.store.appendSamples(this.session.sessionId, batch, GROUP_COMMIT);
    } catch (err) {
      this.samples = batch.concat(this.samples).slice(-10_000);
      throw err;
    }
  }

  private async finish(result: FlowResult): Promise<LocalSession> {
    this.finished = true;
    this.untrack?.();
    const { now } = this.options;
    if (result.errormessage) this.log.add('agent', result.errormessage, result.statuscode === SessionStatus.v.Succeeded ? WireLogLevel.Information : WireLogLevel.Error);
    // The display and everything on it end with the run, before the session is reported ended.
    await this.display?.close();
    const completion = {
      ...result,
      completedon: now().toISOString(),
      runexecutionduration: Math.round(monotonicMs() - this.startedMono),
      ...(this.options.callbackTtlS !== undefined ? { callbackTtlS: this.options.callbackTtlS } : {}),
    };
    const done = await this.commitEnd(completion);
    // The completion's fsync runs off the event loop while the work dir is removed.
    await Promise.all([this.durable(), this.removeWorkDir()]);
    return done;
  }

  /** Waits for this session's group-committed writes to be durable; an I/O error (or a closed store) is logged and returned. */
  private async durable(): Promise<true | Error> {
    try {
      await this.options.store.flushed();
      return true;
    } catch (err) {
      this.options.logger.warn('could not sync the session store', { sessionId: this.session.sessionId, error: (err as Error).message });
      return err as Error;
    }
  }

  private async removeWorkDir(): Promise<void> {
    if (!this.plan) return;
    try {
      await removeWorkDir(this.plan);
    } catch (err) {
      // A run-as dir stays recorded: the next agent start tries again.
      this.options.logger.warn('could not remove a session work dir', { sessionId: this.session.sessionId, error: (err as Error).message });
      return;
    }
    if (this.plan.owner) this.forgetWorkDir();
  }

  private forgetWorkDir(): void {
    try {
      this.options.store.forgetWorkDir(this.session.sessionId);
    } catch (err) {
      this.options.logger.warn('could not drop the record of a removed work dir', { sessionId: this.session.sessionId, error: (err as Error).message });
    }
  }
}

/** Session commits wait for the disk off the event loop, one fsync per turn for all sessions (see CommitOptions). */
const GROUP_COMMIT = { deferSync: true } as const;

function cancelledBeforeSpawn(reason: CancelReason): FlowResult {
  return reason === 'timeout'
    ? { statuscode: SessionStatus.v.TimedOut, errorcode: ErrorCode.RunTimeout, errormessage: 'the run timeout passed before the flow started' }
    : { statuscode: SessionStatus.v.Cancelled, errorcode: ErrorCode.Cancelled, errormessage: 'the session was cancelled before its flow started' };
}

/** SQLite errors a full disk, a failing device or a read-only file raise (better-sqlite3 SqliteError codes). */
function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|BUSY|CANTOPEN)/.test(code);
}
