import type { Logger } from 'winston';
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';
import type { EncodedEvent } from './store/event-outbox.js';

/** The part of the agent store the uploader reads: the upstream outbox (AgentStore implements it). */
export interface OutboxStore {
  encodedEventsAfter(seq: number, limit: number): EncodedEvent[];
  ackUpTo(seq: number): void;
  lastAckedSeq(): number;
  lastSeq(): number;
  /** Renumbers the unacked events to follow `appliedUpTo`, which becomes the acked seq. */
  rebaseOutbox(appliedUpTo: number): { shift: number; pending: number };
  onEvent(listener: () => void): () => void;
}

export interface EventUploaderOptions {
  readonly store: OutboxStore;
  /**
   * Sends one encoded `event` frame (its size already checked); false when the connection is gone (the uploader
   * waits for the next start).
   */
  readonly send: (encodedFrame: string) => boolean;
  readonly logger: Logger;
  /** Most events sent and not yet acked. Default 1000. */
  readonly maxInFlightEvents?: number;
  /** Most bytes sent and not yet acked. Default 4 MiB. */
  readonly maxInFlightBytes?: number;
  /** Events read from the store per query. Default 200. */
  readonly readBatch?: number;
  /**
   * How often to look for events another process committed (`flowhost run` on the same data dir), which onEvent
   * does not hear of. Default 1000 ms; 0 turns it off.
   */
  readonly pollIntervalMs?: number;
}

/**
 * Sends the outbox upstream in seq order with a bounded window of unacked events. The orchestrator applies
 * each seq once and acks; only an ack deletes events (the store does). After a reconnect, `start` rewinds
 * to what the orchestrator says it applied, so every event is replayed that it has not seen.
 */
export class EventUploader {
  private running = false;
  private lastSent = 0;
  /** Sent, unacked events in seq order with their encoded size. */
  private inFlight: { seq: number; bytes: number }[] = [];
  private inFlightBytes = 0;
  private pumpQueued = false;
  /** Size of the last event sent: how many the next read may fetch. */
  private lastEventBytes = 1;
  private readonly unsubscribe: () => void;
  private readonly ackListeners = new Set<() => void>();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: EventUploaderOptions) {
    this.unsubscribe = options.store.onEvent(() => this.schedulePump());
  }

  /**
   * The orchestrator welcomed us having applied everything up to `appliedUpTo`: ack that and send what follows.
   * When `appliedUpTo` is outside [lastAckedSeq, lastSeq] the two sides count differently — this store lost its
   * outbox (a fresh agent.db under a known credential) or the orchestrator lost its count — and the unacked events
   * are renumbered to follow `appliedUpTo`: numbered below it they would be dropped as duplicates, above it refused
   * as a gap.
   */
  start(appliedUpTo: number): void {
    const { store, logger } = this.options;
    const lastSeq = store.lastSeq();
    const acked = store.lastAckedSeq();
    if (appliedUpTo > lastSeq || appliedUpTo < acked) {
      const { pending } = store.rebaseOutbox(appliedUpTo);
      logger.warn(
        `the orchestrator applied events up to seq ${appliedUpTo}, this agent's outbox holds ${acked + 1}..${lastSeq} (acked ${acked}); ` +
          `numbering continues after ${appliedUpTo}${pending > 0 ? ` and the ${pending} unsent event(s) were renumbered from ${appliedUpTo + 1}` : ''}`,
      );
    } else {
      this.acknowledge(appliedUpTo);
    }
    this.lastSent = appliedUpTo;
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.running = true;
    this.startPolling();
    this.pump();
  }

  /** The connection closed: stop sending until the next welcome. */
  stop(): void {
    this.running = false;
    clearInterval(this.pollTimer);
  }

  /** The orchestrator applied every event up to `upTo`. */
  acked(upTo: number): void {
    this.acknowledge(upTo);
    while (this.inFlight.length > 0 && this.inFlight[0]!.seq <= upTo) this.inFlightBytes -= this.inFlight.shift()!.bytes;
    if (upTo > this.lastSent) this.lastSent = upTo;
    for (const listener of this.ackListeners) listener();
    this.pump();
  }

  /** Called after every ack (drain waits on it). */
  onAck(listener: () => void): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  get unacked(): { events: number; bytes: number } {
    return { events: this.inFlight.length, bytes: this.inFlightBytes };
  }

  close(): void {
    this.running = false;
    clearInterval(this.pollTimer);
    this.unsubscribe();
    this.ackListeners.clear();
  }

  private startPolling(): void {
    clearInterval(this.pollTimer);
    const every = this.options.pollIntervalMs ?? 1000;
    if (every <= 0) return;
    this.pollTimer = setInterval(() => {
      if (this.options.store.lastSeq() > this.lastSent) this.pump();
    }, every);
    this.pollTimer.unref();
  }

  private acknowledge(upTo: number): void {
    const { store } = this.options;
    const target = Math.min(upTo, store.lastSeq());
    if (target > store.lastAckedSeq()) store.ackUpTo(target);
  }

  private schedulePump(): void {
    if (this.pumpQueued || !this.running) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    const maxEvents = this.options.maxInFlightEvents ?? 1000;
    const maxBytes = this.options.maxInFlightBytes ?? 4 * 1024 * 1024;
    const readBatch = this.options.readBatch ?? 200;
    while (this.running && this.inFlight.length < maxEvents && this.inFlightBytes < maxBytes) {
      // Read only about as many events as the byte window takes: big log events would otherwise be parsed and dropped again on every ack.
      const fit = Math.max(1, Math.ceil((maxBytes - this.inFlightBytes) / this.lastEventBytes));
      const events = this.options.store.encodedEventsAfter(this.lastSent, Math.min(readBatch, maxEvents - this.inFlight.length, fit));
      if (events.length === 0) return;
      for (const event of events) {
        if (!this.sendOne(event)) return;
        if (this.inFlightBytes >= maxBytes) return;
      }
    }
  }

  private sendOne(event: EncodedEvent): boolean {
    // The stored body is the event's JSON: framing it by hand encodes each event once on this hot path.
    const frame = `{"type":"event","event":${event.body}}`;
    const bytes = Buffer.byteLength(frame);
    if (bytes > MAX_FRAME_BYTES) {
      // Skipping it would leave a gap the orchestrator refuses; the outbox waits here and says why.
      this.options.logger.error(`event seq ${event.seq} (${event.kind}, session ${event.sessionId}) is ${bytes} bytes, over the ${MAX_FRAME_BYTES}-byte frame limit; upload is blocked at it`);
      this.running = false;
      return false;
    }
    if (!this.options.send(frame)) {
      this.running = false;
      return false;
    }
    this.inFlight.push({ seq: event.seq, bytes });
    this.inFlightBytes += bytes;
    this.lastSent = event.seq;
    this.lastEventBytes = bytes;
    return true;
  }
}
