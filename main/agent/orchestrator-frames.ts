import { release } from 'node:os';
import type { Logger } from 'winston';
import { PROTOCOL_VERSION, type AgentState, type Hello, type OrchestratorFrame } from '../../shared/protocol.js';
import type { AgentStateNotifier } from './agent-state.js';
import type { SchedulerFrame } from './scheduling/scheduler.js';
import type { AgentStore } from './store/agent-store.js';

/** The parts a frame from the orchestrator reaches (the Agent's started parts fit it). */
export interface FrameTargets {
  readonly store: Pick<AgentStore, 'lastAckedSeq' | 'lastSeq' | 'activeSessions' | 'isUnreportedLocal'>;
  readonly scheduler: { agentState(): AgentState; cancel(sessionId: string): void; handle(frame: SchedulerFrame): void };
  readonly uploader: { start(appliedUpTo: number): void; acked(upTo: number): void };
  readonly notifier: Pick<AgentStateNotifier, 'changed' | 'resetSent'>;
}

export interface OrchestratorFramesOptions {
  /** The key callbacks are signed with until the orchestrator sends another (the registered one). */
  readonly callbackKey: string;
  /** A new key arrived: keep it where the credentials are; the agent signs with it from now on either way. */
  readonly onCallbackKey?: (key: string) => void;
  readonly agentVersion?: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * The agent's side of the protocol above the link: the hello it opens every connection with, where each frame of the
 * orchestrator goes, and what those frames set — the orchestrator's clock offset (from welcome) and the callback
 * signing key (`callback-key`). Both outlive a connection and a restart of the agent's parts.
 */
export class OrchestratorFrames {
  private key: string;
  /**
   * The orchestrator's clock minus ours at the last welcome. Callbacks are signed with the orchestrator's time, as the
   * orchestrator maps our event times onto its clock: receivers check it against theirs, and a machine's clock may be off.
   */
  private clockOffsetMs = 0;

  constructor(private readonly options: OrchestratorFramesOptions) {
    this.key = options.callbackKey;
  }

  /** The key this machine signs callbacks with now. */
  get callbackKey(): string {
    return this.key;
  }

  /** Now on the orchestrator's clock (ms), as of its last welcome. */
  orchestratorNowMs(): number {
    return this.now().getTime() + this.clockOffsetMs;
  }

  /** The hello of a new connection; the scheduling state in it counts as sent. */
  hello(to: Pick<FrameTargets, 'store' | 'scheduler'> & { readonly notifier?: FrameTargets['notifier'] | undefined }): Hello {
    const state = to.scheduler.agentState();
    to.notifier?.resetSent(state);
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentVersion: this.options.agentVersion ?? '0.1.0',
      os: `${process.platform} ${release()} ${process.arch}`.slice(0, 256),
      lastAckedSeq: to.store.lastAckedSeq(),
      lastSeq: to.store.lastSeq(),
      agentTime: this.now().toISOString(),
      state,
      activeSessions: to.store
        .activeSessions()
        .map((s) => s.sessionId)
        .slice(0, 256),
    };
  }

  route(frame: OrchestratorFrame, to: FrameTargets): void {
    switch (frame.type) {
      case 'welcome':
        this.clockOffsetMs = Date.parse(frame.serverTime) - this.now().getTime();
        // The outbox first: it may renumber, and what it acks tells which local sessions the orchestrator knows.
        to.uploader.start(frame.appliedUpTo);
        for (const id of frame.cancelSessions) {
          // A Local run not yet reported is unknown upstream, so listed here; its replayed events will introduce it.
          if (!to.store.isUnreportedLocal(id)) to.scheduler.cancel(id);
        }
        to.notifier.changed();
        return;
      case 'ack':
        return to.uploader.acked(frame.upTo);
      case 'callback-key':
        return this.replaceCallbackKey(frame.key);
      case 'error':
        return;
      default:
        return to.scheduler.handle(frame);
    }
  }

  private replaceCallbackKey(key: string): void {
    if (key === this.key) return;
    this.key = key;
    try {
      this.options.onCallbackKey?.(key);
    } catch (err) {
      this.options.logger.error(`the new callback key is in use but could not be stored: ${(err as Error).message}`);
      return;
    }
    this.options.logger.info('callback signing key replaced by the orchestrator');
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
