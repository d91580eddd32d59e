import { rmSync } from 'node:fs';
import type { Logger } from 'winston';
import { FLOWLOG_DATA_MAX } from '../../../shared/records/flowlog.js';
import { LogLevel } from '../../../shared/option-sets.js';
import type { Sample } from '../../../shared/protocol.js';
import type { ProcessTree } from '../process/kill-tree.js';
import type { UserIdentity } from '../process/session-user.js';
import type { Sampler } from '../sampler.js';
import { createMasker, secretValues } from '../secret-mask.js';
import type { AgentStore, LocalSession } from '../store/agent-store.js';
import { prepareLaunch, type LaunchPlan } from './flow-launch.js';
import { FlowRun, type CancelReason, type FlowResult } from './flow-run.js';
import { monotonicMs } from './run-clock.js';
import { SessionLog } from './session-log.js';
import { SessionStatus } from '../../../shared/option-sets.js';
import { ErrorCode } from '../../../shared/error-codes.js';

export interface ActiveSessionOptions {
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly now: () => Date;
  readonly tree: ProcessTree;
  readonly killGraceMs: number;
  readonly callbackTtlS?: number;
  readonly sampler?: Sampler;
  /** Samples per `sample` event. Default 10. */
  readonly sampleBatch?: number;
  readonly logFlushMs?: number;
  readonly maxLineChars?: number;
  readonly stdioDrainMs?: number;
  readonly setprivPath?: string | null;
  readonly env?: NodeJS.ProcessEnv;
}

/** One running session: its flow process, log, samples, and the single commit that completes it. */
export class ActiveSession {
  private run: FlowRun | undefined;
  private readonly log: SessionLog;
  private samples: Sample[] = [];
  private latest: Sample | undefined;
  private untrack: (() => void) | undefined;
  private plan: LaunchPlan | undefined;
  private readonly startedMono = monotonicMs();
  private finished = false;
  readonly done: Promise<LocalSession>;

  constructor(
    private readonly session: LocalSession,
    private readonly user: UserIdentity | undefined,
    private readonly options: ActiveSessionOptions,
  ) {
    const mask = createMasker(secretValues(session.inputs, session.secretInputs));
    this.log = new SessionLog({
      commit: (lines) => {
        try {
          options.store.appendLogLines(session.sessionId, lines);
        } catch (err) {
          options.logger.error('could not store session log lines', { sessionId: session.sessionId, lines: lines.length, error: (err as Error).message });
        }
      },
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
    if (this.run) this.run.cancel(reason);
  }

  pause(): boolean {
    return this.run?.pause() ?? false;
  }

  resume(): boolean {
    return this.run?.resume() ?? false;
  }

  private async launch(mask: (s: string) => string): Promise<LocalSession> {
    const { session, options } = this;
    try {
      this.plan = prepareLaunch({
        sessionId: session.sessionId,
        flow: session.flow,
        inputs: session.inputs,
        dataDir: options.dataDir,
        ...(this.user ? { user: this.user } : {}),
        ...(options.setprivPath !== undefined ? { setprivPath: options.setprivPath } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
    } catch (err) {
      return this.finish({ statuscode: SessionStatus.v.Failed, errorcode: ErrorCode.FlowStartFailed, errormessage: `the flow could not be prepared: ${(err as Error).message}` });
    }
    this.run = new FlowRun({
      plan: this.plan,
      tree: options.tree,
      timeoutMs: session.session.timeout * 1000,
      killGraceMs: options.killGraceMs,
      maxLineChars: options.maxLineChars ?? FLOWLOG_DATA_MAX,
      ...(session.outputschema !== undefined ? { outputschema: session.outputschema } : {}),
      ...(options.stdioDrainMs !== undefined ? { stdioDrainMs: options.stdioDrainMs } : {}),
      mask,
      onLine: (stream, text) => this.log.add(stream, text),
      onCancel: (reason) => this.log.add('agent', reason === 'timeout' ? 'run timeout reached: stopping the flow' : 'cancel requested: stopping the flow'),
    });
    const pid = this.run.start();
    if (pid !== undefined) {
      options.store.recordPid(session.sessionId, pid);
      this.untrack = options.sampler?.track(session.sessionId, pid, (s) => this.addSample(s));
    }
    return this.finish(await this.run.done);
  }

  /** The latest sample (live CPU/RAM for the status window). */
  get lastSample(): Sample | undefined {
    return this.latest;
  }

  private addSample(sample: Sample): void {
    if (this.finished) return;
    this.latest = sample;
    this.samples.push(sample);
    if (this.samples.length >= (this.options.sampleBatch ?? 10)) this.flushSamples();
  }

  private flushSamples(): void {
    const batch = this.samples;
    this.samples = [];
    this.options.store.appendSamples(this.session.sessionId, batch);
  }

  private finish(result: FlowResult): LocalSession {
    this.finished = true;
    this.untrack?.();
    const { store, logger, now } = this.options;
    if (result.errormessage) this.log.add('agent', result.errormessage, result.statuscode === SessionStatus.v.Succeeded ? LogLevel.v.Information : LogLevel.v.Error);
    this.log.flush();
    this.flushSamples();
    const done = store.complete(this.session.sessionId, {
      ...result,
      completedon: now().toISOString(),
      runexecutionduration: Math.round(monotonicMs() - this.startedMono),
      ...(this.options.callbackTtlS !== undefined ? { callbackTtlS: this.options.callbackTtlS } : {}),
    });
    if (this.plan) {
      try {
        rmSync(this.plan.workDir, { recursive: true, force: true });
      } catch (err) {
        logger.warn('could not remove a session work dir', { sessionId: this.session.sessionId, error: (err as Error).message });
      }
    }
    return done;
  }
}
