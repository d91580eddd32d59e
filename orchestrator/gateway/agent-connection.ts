import type { WebSocket, RawData } from 'ws';
import { decodeAgentFrame, encodeFrame } from '../../shared/protocol-codec.js';
import { CloseCode, PROTOCOL_VERSION, type AgentFrame, type AgentState, type OrchestratorFrame, type WireEvent } from '../../shared/protocol.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { agentFeatures, assignFor, Feature, unmetNeeds } from '../../shared/protocol-features.js';
import { machineCallbackKey } from '../callback/callback-keys.js';
import { closeReason } from '../../shared/utf8-cut.js';
import type { OrchestratorContext } from '../context.js';
import type { Queue } from '../queue/session-queue.js';
import type { AgentRegistry } from './agent-registry.js';
import { AgentClock } from './agent-clock.js';
import { AgentInbox } from './agent-inbox.js';
import { EventSlicer, tooManyLocalSessions } from './event-slices.js';
import type { FrameBudget } from './frame-budget.js';
import { applyEvents, type EventChecks } from './event-applier.js';
import { ensureLocalSession } from './local-session.js';
import { LostSessions } from './lost-sessions.js';
import type { MachineStatusWriter } from './machine-status.js';

export interface AgentConnectionOptions {
  readonly socket: WebSocket;
  readonly machineId: string;
  readonly ctx: OrchestratorContext;
  readonly queue: Queue;
  readonly registry: AgentRegistry<AgentConnection>;
  /** Writes hello/state/heartbeat/disconnect onto the machine row, batched across machines. */
  readonly status: MachineStatusWriter;
  readonly heartbeatIntervalMs: number;
  readonly helloTimeoutMs: number;
  /** What the agent listed in its upgrade request's features header (AGENT_FEATURES_HEADER). */
  readonly headerFeatures: ReadonlySet<string>;
  /** What this orchestrator announces (its welcome's `features`). */
  readonly features: readonly string[];
  /** The machine's upstream budget (bytes and frames per second). */
  readonly budget: FrameBudget;
  /** Most sessions one frame may create (`local-session` events); past it the connection closes (4000). */
  readonly maxLocalSessionsPerFrame: number;
}

type Frame<T extends AgentFrame['type']> = Extract<AgentFrame, { type: T }>;

const ACK_EVERY_MS = 25;

/** One authenticated agent socket: hello, then frames until it closes. */
export class AgentConnection {
  live: AgentState | undefined;
  /** The agent's clock relative to ours, from its hello (timestamps in its events are mapped with it). */
  private clock = AgentClock.identity;
  private closed = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private missedPongs = 0;
  private ackUpTo = -1;
  private ackScheduled = false;
  /** When the last ack was scheduled (performance.now()): while a backlog is sliced, one ack per ACK_EVERY_MS. */
  private ackAt = -Infinity;
  /** Events received (`event` and `events` frames) and not yet applied (see queueEvent). */
  private pendingEvents: WireEvent[] = [];
  private applyScheduled = false;
  /** Called once pendingEvents is empty (all applied, or the connection closed). */
  private eventsDrained: (() => void)[] = [];
  /** Why the connection closes once the events before the refused one are applied. */
  private refusal: string | undefined;
  private readonly lost: LostSessions;
  private readonly inbox: AgentInbox;
  private readonly slicer = new EventSlicer();
  /** What the agent declared it speaks (its upgrade header, then its hello's list if it sent one). */
  private features: ReadonlySet<string>;

  constructor(private readonly o: AgentConnectionOptions) {
    this.features = agentFeatures(o.headerFeatures);
    this.lost = new LostSessions({ ctx: o.ctx, queue: o.queue, machineId: o.machineId });
    this.inbox = new AgentInbox({ socket: o.socket, budget: o.budget, receive: (data, isBinary) => this.receive(data, isBinary) });
  }

  private get store() {
    return this.o.ctx.store;
  }

  start(): void {
    const { socket } = this.o;
    const replaced = this.o.registry.set(this.o.machineId, this);
    if (replaced) replaced.replace();
    this.helloTimer = setTimeout(() => this.close(CloseCode.HelloTimeout, `no hello within ${this.o.helloTimeoutMs} ms`), this.o.helloTimeoutMs);
    this.pingTimer = setInterval(() => this.heartbeat(), this.o.heartbeatIntervalMs);
    socket.on('message', (data, isBinary) => this.inbox.push(data, isBinary));
    socket.on('pong', () => {
      this.missedPongs = 0;
      if (this.live) this.o.status.heartbeat(this.o.machineId, this.o.ctx.now());
    });
    socket.on('close', () => this.onClose());
  }

  /**
   * Sends a frame once every commit made so far is durable (the queue and the event applier commit crash-safe and
   * leave the fsync to the thread pool): an agent never hears of a decision, nor gets an ack, that a power loss could
   * undo. Frames keep their order. False when the socket is not open.
   */
  send(frame: OrchestratorFrame): boolean {
    if (this.closed || this.o.socket.readyState !== this.o.socket.OPEN) return false;
    if (frame.type === 'assign') {
      const unmet = unmetNeeds(frame, this.features);
      if (unmet !== undefined) return this.refuseOffer(frame.session.flowsessionid, unmet);
    }
    const text = encodeFrame(frame.type === 'assign' ? assignFor(frame, this.features) : frame);
    this.store.afterDurable(
      () => {
        if (this.o.socket.readyState === this.o.socket.OPEN) this.o.socket.send(text);
      },
      (err) => this.storageFailed(err),
    );
    return true;
  }

  /**
   * An offer the agent did not declare it can run never reaches it (an agent refuses a frame it cannot decode by
   * closing the socket, and the offer would come back): it is rejected for the agent, with the reason, as its own
   * reject would be, and the queue does not offer it to this machine again while it stays connected.
   */
  private refuseOffer(sessionId: string, reason: string): true {
    setImmediate(() => void this.guard(async () => void (this.closed || (await this.o.queue.reject(this.o.machineId, sessionId, ErrorCode.FeatureUnsupported, reason)))));
    return true;
  }

  /** The machine's current callback key, to an agent that takes `callback-key` frames and said hello. Never rejects. */
  async sendCallbackKey(): Promise<void> {
    if (!this.live || !this.features.has(Feature.CallbackKey)) return;
    await this.guard(async () => {
      const key = await machineCallbackKey(this.store, this.o.machineId);
      if (key) this.send({ type: 'callback-key', key });
    });
  }

  /** Closes after the frames already sent. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    const close = () => this.o.socket.close(code, closeReason(reason));
    this.store.afterDurable(close, close);
  }

  /** The store could not make its commits durable: what the agent was about to hear is dropped; it reconnects. */
  private storageFailed(err: Error): void {
    if (!this.closed) this.o.ctx.logger.error(`agent ${this.o.machineId}: commits not durable, frames dropped: ${err.message}`);
    this.closed = true;
    this.stopTimers();
    this.o.socket.terminate();
  }

  /** Another connection of the same machine took over: this one's offers go back, then it closes. */
  private replace(): void {
    this.close(CloseCode.Replaced, 'replaced by a newer connection of this machine');
    this.live = undefined;
    void this.guard(() => this.o.queue.disconnected(this.o.machineId));
  }

  private stopTimers(): void {
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    this.inbox.stop();
    this.pendingEvents = [];
    this.drained();
  }

  private heartbeat(): void {
    // A socket paused by its budget reads no pongs: the peer is behind its own data, not silent.
    if (this.inbox.holding) this.missedPongs = 0;
    if (this.missedPongs >= 2) {
      this.closed = true;
      this.stopTimers();
      this.o.socket.terminate();
      return;
    }
    this.missedPongs++;
    this.o.socket.ping();
  }

  private onClose(): void {
    this.closed = true;
    this.stopTimers();
    if (!this.o.registry.remove(this.o.machineId, this)) return;
    this.live = undefined;
    void this.guard(() => {
      this.o.status.disconnected(this.o.machineId);
      return this.o.queue.disconnected(this.o.machineId);
    });
  }

  /**
   * Store failures must not kill the process; they close this connection and the agent retries. A promise (that
   * never rejects) when `fn` returns one.
   */
  private guard(fn: () => void | Promise<void>): void | Promise<void> {
    try {
      const pending = fn();
      if (pending) return pending.catch((err: unknown) => this.failed(err));
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.o.ctx.logger.error(`agent ${this.o.machineId}: ${(err as Error).stack ?? String(err)}`);
    this.close(CloseCode.GoingAway, 'orchestrator error; reconnect');
  }

  /** One frame, in order, within the machine's budget (AgentInbox); a promise while events before it are applied. */
  private receive(data: RawData, isBinary: boolean): void | Promise<void> {
    if (this.closed) return;
    if (isBinary) return this.close(CloseCode.InvalidFrame, 'binary frames are not supported');
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const decoded = decodeAgentFrame(text);
    if (!decoded.ok) return this.close(CloseCode.InvalidFrame, decoded.error);
    const frame = decoded.frame;
    if (!this.live && frame.type !== 'hello') return this.close(CloseCode.InvalidFrame, `expected hello first, got ${frame.type}`);
    if (frame.type === 'event' || frame.type === 'events') {
      this.queueEvent(frame);
      // Small frames of one burst are applied together; a big backlog waits for its slices.
      return this.pendingEvents.length >= 2000 ? this.allApplied() : undefined;
    }
    // Frames keep their order: events that arrived before this one are applied first.
    if (this.pendingEvents.length > 0) return this.allApplied().then(() => this.guard(() => (this.closed ? undefined : this.handle(frame))));
    // A frame whose handling awaits the store (hello, reject) holds the next one until it is done.
    return this.guard(() => this.handle(frame));
  }

  private handle(frame: AgentFrame): void | Promise<void> {
    switch (frame.type) {
      case 'hello':
        return this.onHello(frame);
      case 'state':
        this.live = frame.state;
        this.o.status.state(this.o.machineId, frame.state, this.o.ctx.now());
        return this.o.queue.machineLive(this.o.machineId);
      case 'accept':
        // Confirmed with the other accepts of this turn in one commit; answered after it.
        return this.o.queue.acceptOffer(
          this.o.machineId,
          frame.sessionId,
          (answer) => this.send(answer),
          (err) => this.failed(err),
        );
      case 'reject':
        return this.onReject(frame);
      case 'event':
      case 'events':
        return this.queueEvent(frame);
    }
  }

  private async onReject(frame: Frame<'reject'>): Promise<void> {
    const answer = await this.o.queue.reject(this.o.machineId, frame.sessionId, frame.errorcode, frame.message);
    if (answer) this.send(answer);
  }

  private async onHello(frame: Frame<'hello'>): Promise<void> {
    if (this.live) return this.close(CloseCode.InvalidFrame, 'hello sent twice');
    if (frame.protocol !== PROTOCOL_VERSION) {
      return this.close(CloseCode.UnsupportedVersion, `protocol ${frame.protocol} is not supported; this orchestrator speaks ${PROTOCOL_VERSION}`);
    }
    clearTimeout(this.helloTimer);
    if (frame.features) this.features = agentFeatures(this.o.headerFeatures, frame.features);
    const now = this.o.ctx.now();
    this.clock = AgentClock.fromHello(frame.agentTime, now, this.o.ctx.now);
    this.o.status.hello(this.o.machineId, frame.state, now, { agentversion: frame.agentVersion, os: frame.os });
    const reconcile = await this.o.queue.hello(this.o.machineId, frame.activeSessions);
    // This connection's events wait for its hello; one a replaced connection still commits meanwhile is a duplicate
    // when the agent sends it again (skipped by its seq).
    const appliedUpTo = await this.store.queueState.appliedSeq(this.o.machineId);
    // Replaced or closed while the store answered: the newer connection (or the agent's next one) takes it from here.
    if (this.closed) return;
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      flowmachineid: this.o.machineId,
      appliedUpTo,
      serverTime: now.toISOString(),
      heartbeatIntervalMs: this.o.heartbeatIntervalMs,
      cancelSessions: reconcile.cancelSessions,
      ...(this.features.has(Feature.FeatureLists) ? { features: [...this.o.features] } : {}),
    });
    for (const f of reconcile.followUps) this.send(f);
    this.live = frame.state;
    await this.sendCallbackKey();
    this.lost.hello(frame.activeSessions, frame.lastSeq);
    await this.lost.applied(appliedUpTo);
    this.o.queue.machineLive(this.o.machineId);
  }

  /**
   * Events of one burst (the frames that arrived in the same turn of the event loop; the agent's window of unacked
   * events bounds it) are applied in crash-safe store transactions of a slice each (event-slices.ts), so a big frame
   * never holds the event loop for long. Exactly-once holds because the applied seq commits with the events' effects;
   * follow-ups (queue.ended) run only after the commit and the ack leaves only once it is durable (`send`); if a
   * commit fails nothing of its slice is applied or acked (the agent replays it). A frame creating more than
   * maxLocalSessionsPerFrame sessions is applied up to there, then the connection closes (tooManyLocalSessions).
   */
  private queueEvent(frame: Frame<'event'> | Frame<'events'>): void {
    if (this.refusal !== undefined) return;
    const events = frame.type === 'event' ? [frame.event] : frame.events;
    const refused = tooManyLocalSessions(events, this.o.maxLocalSessionsPerFrame);
    for (let i = 0; i < (refused?.at ?? events.length); i++) this.pendingEvents.push(events[i]!);
    if (refused) this.refusal = refused.reason;
    this.scheduleApply();
  }

  /** One slice at a time: the next is scheduled once the one under way is applied. */
  private scheduleApply(): void {
    if (this.applyScheduled) return;
    this.applyScheduled = true;
    setImmediate(() => void this.guard(() => this.applyPendingEvents()));
  }

  /** Resolves once every event received so far is applied (or the connection closed). */
  private allApplied(): Promise<void> {
    if (this.pendingEvents.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.eventsDrained.push(resolve));
  }

  private drained(): void {
    for (const resolve of this.eventsDrained.splice(0)) resolve();
  }

  /**
   * Applies the next slice of the pending events (about a millisecond's worth while anything else waits: the event
   * loop serves the API and the other machines between slices), then schedules the next one.
   */
  private async applyPendingEvents(): Promise<void> {
    if (this.closed) return this.drained();
    const start = performance.now();
    const events = this.slicer.next(this.pendingEvents, start);
    if (events.length > 0) await this.applySlice(events);
    this.slicer.took(events, start, performance.now());
    if (this.closed) return;
    this.applyScheduled = false;
    if (this.pendingEvents.length > 0) return this.scheduleApply();
    if (this.refusal !== undefined) {
      // What came before the refused event is applied: the agent hears so now, and replays the rest on reconnect.
      if (this.ackUpTo >= 0) this.send({ type: 'ack', upTo: this.ackUpTo });
      this.close(CloseCode.InvalidFrame, this.refusal);
    }
    this.drained();
  }

  private async applySlice(events: readonly WireEvent[]): Promise<void> {
    const checks: EventChecks = {
      owns: async (tx, sessionId) => (await this.o.queue.assignments.confirmedMachineOf(sessionId, tx)) === this.o.machineId,
      local: (tx, e) => ensureLocalSession(tx, this.o.queue, this.o.machineId, e),
    };
    const result = await applyEvents(this.store, this.o.machineId, events, checks, this.clock);
    // A gap or a foreign session: what came before it is committed; the rest is not applied.
    if (result.refused !== undefined) this.close(CloseCode.InvalidFrame, result.refused);
    this.scheduleAck(result.appliedUpTo);
    for (const [sessionId, statuscode] of result.reported) this.o.queue.statusReported(sessionId, statuscode);
    // The queue takes them in this order (its lane); the next slice waits until it has.
    await Promise.all(result.ended.map((sessionId) => this.o.queue.ended(sessionId)));
    await this.lost.applied(result.appliedUpTo);
  }

  /**
   * Acks are batched: one `ack` per burst of frames handled in the same turn of the event loop, and while a backlog
   * is applied slice by slice, one per ACK_EVERY_MS (the agent's window of unacked events is far larger).
   */
  private scheduleAck(upTo: number): void {
    this.ackUpTo = Math.max(this.ackUpTo, upTo);
    if (this.ackScheduled) return;
    const now = performance.now();
    if (this.pendingEvents.length > 0 && now - this.ackAt < ACK_EVERY_MS) return;
    this.ackAt = now;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      this.send({ type: 'ack', upTo: this.ackUpTo });
    });
  }
}
