import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'winston';
import { webApiUrl, type AgentFrame } from '../../shared/protocol.js';
import { Feature } from '../../shared/protocol-features.js';
import { DRAIN_FLUSH_TIMEOUT_MS } from './drain-grace.js';
import { agentSnapshot, AgentStateNotifier, idleSnapshot, machineView, type AgentSnapshot, type SnapshotListener } from './agent-state.js';
import { OrchestratorFrames } from './orchestrator-frames.js';
import { CallbackDelivery, type CallbackDeliveryOptions } from './callback/callback-delivery.js';
import { AgentConnection } from './upstream/connection.js';
import type { BackoffOptions } from './upstream/connection-backoff.js';
import { EventUploader } from './upstream/event-uploader.js';
import { canRunAs as osCanRunAs, currentUser } from './process/session-user.js';
import { Sampler } from './runner/sampler.js';
import { DEFAULT_MIN_FREE_BYTES, probeStorage } from './scheduling/storage-probe.js';
import { Scheduler } from './scheduling/scheduler.js';
import type { CanRunAs } from './scheduling/scheduler-decision.js';
import { SessionHost } from './runner/session-host.js';
import type { SessionDesktop } from './runner/desktop/session-display.js';
import type { AgentStore } from './store/agent-store.js';
import { openStoreForMachine } from './store/store-identity.js';

export interface AgentCredentials {
  readonly flowmachineid: string;
  readonly flowmachinegroupid?: string;
  /** The group's name, as registration stored it in credentials.json. */
  readonly group?: string;
  readonly credential: string;
  readonly callbackSecret: string;
}

export interface AgentOptions {
  /** The orchestrator's instances (base URLs); the connection moves between them (upstream/connection.ts). */
  readonly orchestratorUrls: readonly string[];
  /** PEM CA an https orchestrator's certificate must chain to (--orchestrator-ca); the system's CAs otherwise. */
  readonly orchestratorCa?: string;
  readonly credentials: AgentCredentials;
  /** The machine's name (config `name`, as it registered); the status window shows it. */
  readonly machineName?: string;
  readonly dataDir: string;
  /** Session slots (sessioncapacity). */
  readonly capacity: number;
  /** Users unattended sessions may run as; empty = the agent's own user. */
  readonly sessionUsers: readonly string[];
  readonly attendedMode: boolean;
  /** The desktop user attended sessions run for; default the agent's own user when attended mode is on. */
  readonly signedInUser?: string;
  readonly logger: Logger;
  readonly sampleIntervalMs?: number;
  readonly agentVersion?: string;
  /** Liveness interval assumed before welcome, and the silence factor (tests shorten them). */
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutFactor?: number;
  readonly backoff?: BackoffOptions;
  /** Hosts callbacks may reach over http or on loopback/private addresses. */
  readonly callbackAllow?: readonly string[];
  /** Callback retry tuning (tests shorten the delays). */
  readonly callbackDelivery?: Pick<CallbackDeliveryOptions, 'baseDelayMs' | 'maxDelayMs' | 'pollIntervalMs' | 'requestTimeoutMs'>;
  /** SIGTERM → SIGKILL grace of a cancelled session. */
  readonly killGraceMs?: number;
  readonly canRunAs?: CanRunAs;
  readonly now?: () => Date;
  /**
   * Most unacked upstream events the outbox may hold before the agent refuses new sessions (OutboxFull) and reports
   * storageOk=false; running sessions keep logging past it, nothing committed is dropped. Default DEFAULT_OUTBOX_CAP.
   */
  readonly outboxCap?: number;
  /** Free space the data dir must have for the agent to take a new session (default DEFAULT_MIN_FREE_BYTES; 0 = not checked). */
  readonly minFreeBytes?: number;
  /** After a failed store write, how long the agent refuses work before it tries again (default 30 s). */
  readonly storageRetryMs?: number;
  /**
   * The orchestrator sent a new callback signing key (`callback-key`; the group's secret was rotated): keep it where
   * the credentials are (0600) and mask it in logs. The agent signs with it from now on either way.
   */
  readonly onCallbackKey?: (key: string) => void;
  /** The display each session gets, and whether attended work can run now (desktop/); none = no display of flowhost's. */
  readonly desktop?: SessionDesktop;
}

/** Default outbox cap: a million events (log events hold up to 5,000 lines / 512 KiB each). */
const DEFAULT_OUTBOX_CAP = 1_000_000;
const FIGURES_NOTIFY_MS = 1000;

/** Started parts; present between start() and stop(). */
interface Parts {
  readonly store: AgentStore;
  readonly host: SessionHost;
  readonly scheduler: Scheduler;
  readonly uploader: EventUploader;
  readonly callbacks: CallbackDelivery;
  readonly connection: AgentConnection;
  readonly notifier: AgentStateNotifier;
  readonly unsubscribe: (() => void)[];
}

/**
 * The agent: one local store, the session host, the scheduler, the event uploader, callback delivery and
 * the connection, wired together. `state()`/`onStateChange()` are what the tray and status window observe.
 */
export class Agent {
  private parts: Parts | undefined;
  private stopping: Promise<void> | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  /** Hello, frame routing, and what the orchestrator's frames set (clock offset, callback key): kept across restarts. */
  private readonly frames: OrchestratorFrames;

  constructor(private readonly options: AgentOptions) {
    this.frames = new OrchestratorFrames({
      callbackKey: options.credentials.callbackSecret,
      logger: options.logger,
      ...(options.onCallbackKey ? { onCallbackKey: options.onCallbackKey } : {}),
      ...(options.agentVersion === undefined ? {} : { agentVersion: options.agentVersion }),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Opens the store, recovers sessions a previous run left, starts callback delivery and connects. */
  start(): void {
    if (this.parts) throw new Error('agent already started');
    const o = this.options;
    const store = this.openStore();
    try {
      this.parts = this.compose(store);
    } catch (err) {
      store.close();
      throw err;
    }
    const { host, callbacks, connection } = this.parts;
    host.recover();
    callbacks.start();
    connection.start();
    o.logger.info(`agent ${o.credentials.flowmachineid} started (capacity ${o.capacity}, data dir ${o.dataDir})`);
  }

  /** The local store; when it cannot be opened the error says why (a read-only or missing data dir, …). */
  private openStore(): AgentStore {
    const o = this.options;
    const file = join(o.dataDir, 'agent.db');
    try {
      return openStoreForMachine(file, o.credentials.flowmachineid, { warn: (m) => o.logger.warn(m), ...(o.now ? { now: o.now } : {}) });
    } catch (err) {
      const health = existsSync(o.dataDir) ? probeStorage(o.dataDir, 0) : { ok: true as const };
      const why = health.ok ? '' : ` (${health.reason})`;
      throw new Error(`cannot open the local store ${file}: ${(err as Error).message}${why}; the agent keeps its sessions and events there and takes no work without it`);
    }
  }

  state(): AgentSnapshot {
    const parts = this.requireParts();
    return this.snapshot(parts);
  }

  /** Called with a fresh snapshot after every change (debounced); returns the unsubscribe function. */
  onStateChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pause(until?: Date): void {
    this.requireParts().scheduler.pauseMachine(until);
  }

  resume(): void {
    this.requireParts().scheduler.resumeMachine();
  }

  setAttendedMode(on: boolean, signedInUser?: string): void {
    this.requireParts().scheduler.setAttendedMode(on, signedInUser ?? this.options.signedInUser ?? currentUser());
  }

  /**
   * Graceful stop: no new work, running sessions get `graceMs` (then are cancelled), the outbox is flushed
   * upstream (acks awaited up to `flushTimeoutMs`), then stop().
   */
  async drain(graceMs: number, flushTimeoutMs = DRAIN_FLUSH_TIMEOUT_MS): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    parts.scheduler.drain();
    parts.notifier.flush();
    await parts.host.drain(graceMs);
    await this.flushOutbox(parts, flushTimeoutMs);
    await this.stop();
  }

  /** Closes the connection, stops delivery and timers and closes the store. Running sessions are left as they are. */
  stop(): Promise<void> {
    this.stopping ??= this.stopParts().finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  private async stopParts(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    for (const u of parts.unsubscribe) u();
    parts.notifier.close();
    parts.scheduler.close();
    parts.uploader.close();
    await Promise.all([parts.connection.stop(), parts.callbacks.stop()]);
    parts.store.close();
    this.parts = undefined;
    this.options.logger.info('agent stopped');
  }

  private compose(store: AgentStore): Parts {
    const o = this.options;
    const logger = o.logger;
    const notify = () => this.parts?.notifier.changed();
    const notifyFigures = () => this.parts?.notifier.changed(FIGURES_NOTIFY_MS);
    const sampler = new Sampler({
      ...(o.sampleIntervalMs === undefined ? {} : { intervalMs: o.sampleIntervalMs }),
      ...(o.now ? { now: o.now } : {}),
      onError: (err) => logger.warn(`sampling failed: ${err.message}`),
    });
    const host = new SessionHost({
      store,
      dataDir: o.dataDir,
      logger,
      sampler,
      sessionUsers: o.sessionUsers,
      ...(o.now ? { now: o.now } : {}),
      ...(o.killGraceMs === undefined ? {} : { killGraceMs: o.killGraceMs }),
      ...(o.desktop ? { desktop: o.desktop } : {}),
      apiUrl: () => (connection ? webApiUrl(connection.orchestratorUrl) : undefined),
    });
    let connection: AgentConnection | undefined;
    const send = (frame: AgentFrame) => connection?.send(frame) ?? false;
    const scheduler = new Scheduler({
      store,
      host,
      send,
      canRunAs: o.canRunAs ?? osCanRunAs,
      logger,
      capacity: o.capacity,
      sessionUsers: o.sessionUsers,
      attendedMode: o.attendedMode,
      ...(o.desktop ? { hasDesktop: (user: string) => o.desktop?.attendedAvailable(user) ?? false } : {}),
      runModes: { include: () => connection?.peerFeatures.has(Feature.RunModes) ?? false, unattendedProblem: () => o.desktop?.unattendedProblem() },
      ...(o.signedInUser !== undefined || o.attendedMode ? { signedInUser: o.signedInUser ?? currentUser() } : {}),
      ...(o.now ? { now: o.now } : {}),
      outbox: { pending: () => store.pendingEventCount(), cap: o.outboxCap ?? DEFAULT_OUTBOX_CAP },
      storage: () => probeStorage(o.dataDir, o.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
      ...(o.storageRetryMs === undefined ? {} : { storageRetryMs: o.storageRetryMs }),
      onChange: notify,
    });
    const uploader = new EventUploader({
      store,
      send: (text) => connection?.sendEncoded(text) ?? false,
      takesEventsFrames: () => connection?.peerFeatures.has(Feature.EventsFrames) ?? false,
      takesLogChunks: () => connection?.peerFeatures.has(Feature.LogChunks) ?? false,
      asSent: (event) => (connection?.peerFeatures.has(Feature.Screenshots) ? store.displays.withScreenshot(event) : event),
      logger,
    });
    const callbacks = new CallbackDelivery({
      store,
      signing: {
        signer: o.credentials.flowmachineid.toLowerCase(),
        key: () => this.frames.callbackKey,
        nowMs: () => this.frames.orchestratorNowMs(),
      },
      policy: { allow: o.callbackAllow ?? [] },
      logger,
      ...(o.now ? { now: o.now } : {}),
      ...o.callbackDelivery,
    });
    connection = new AgentConnection({
      orchestratorUrls: o.orchestratorUrls,
      ...(o.orchestratorCa ? { ca: o.orchestratorCa } : {}),
      flowmachineid: o.credentials.flowmachineid,
      credential: o.credentials.credential,
      logger,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: o.heartbeatIntervalMs }),
      ...(o.heartbeatTimeoutFactor === undefined ? {} : { heartbeatTimeoutFactor: o.heartbeatTimeoutFactor }),
      hello: () => this.frames.hello({ store, scheduler, notifier: this.parts?.notifier }),
      heartbeat: () => ({ type: 'state', state: scheduler.agentState() }),
      onFrame: (frame) => {
        if (this.parts) this.frames.route(frame, this.parts);
      },
      onClose: () => uploader.stop(),
      onStatus: notify,
    });
    const notifier = new AgentStateNotifier({
      snapshot: () => (this.parts ? this.snapshot(this.parts) : this.idleSnapshot()),
      onSchedulingChange: (state) => send({ type: 'state', state }),
    });
    notifier.subscribe((snapshot) => {
      for (const listener of this.listeners) {
        try {
          listener(snapshot);
        } catch (err) {
          logger.warn(`an agent state listener failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
    const unsubscribe = [
      host.onChange(notify),
      // Not on every session change: a delivery pass queries the outbox, and most sessions have no callback.
      store.onCallbackQueued(() => callbacks.wake()),
      // Figures only (samples, backlog, and the outbox cap it may cross): at most once a second while they move.
      host.onSample(notifyFigures),
      store.onEvent(notifyFigures),
      uploader.onAck(notifyFigures),
    ];
    return { store, host, scheduler, uploader, callbacks, connection, notifier, unsubscribe };
  }

  private async flushOutbox(parts: Parts, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const flushed = () => parts.store.pendingEventCount() === 0;
    while (!flushed() && Date.now() < deadline && parts.connection.status !== 'refused') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(250, Math.max(0, deadline - Date.now())));
        const off = parts.uploader.onAck(done);
        function done() {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
    if (!flushed()) this.options.logger.warn(`agent stopping with ${parts.store.pendingEventCount()} event(s) not yet acked; they are sent after the next start`);
    if (parts.store.pendingCallbackCount() > 0) await parts.callbacks.deliverDue();
  }

  private snapshot(parts: Parts): AgentSnapshot {
    const o = this.options;
    return agentSnapshot({ ...parts, orchestratorUrl: parts.connection.orchestratorUrl, machine: machineView(o.credentials, o.machineName) });
  }

  private idleSnapshot(): AgentSnapshot {
    const { orchestratorUrls, capacity, sessionUsers, attendedMode, credentials, machineName } = this.options;
    return idleSnapshot({ orchestratorUrl: orchestratorUrls.join(','), capacity, sessionUsers, attendedMode, machine: machineView(credentials, machineName) });
  }

  private requireParts(): Parts {
    if (!this.parts) throw new Error('agent not started');
    return this.parts;
  }
}
