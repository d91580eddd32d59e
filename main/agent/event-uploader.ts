import type { Logger } from 'winston';
import { encodeFrame } from '../../shared/protocol-codec.js';
import { MAX_FRAME_BYTES, type AgentFrame, type SessionEvent } from '../../shared/protocol.js';

/** The part of the agent store the uploader reads: the upstream outbox (AgentStore implements it). */
export interface OutboxStore {
  eventsAfter(seq: number, limit: number): SessionEvent[];
  ackUpTo(seq: number): void;
  lastAckedSeq(): number;
  lastSeq(): number;
  onEvent(listener: () => void): () => void;
}

export interface EventUploaderOptions {
  readonly store: OutboxStore;
  /** Sends one frame; false when the connection is gone (the uploader waits for the next start). */
  readonly send: (frame: AgentFrame) => boolean;
  readonly logger: Logger;
  /** Most events sent and not yet acked. Default 1000. */
  readonly maxInFlightEvents?: number;
  /** Most bytes sent and not yet acked. Default 4 MiB. */
  readonly maxInFlightBytes?: number;
  /** Events read from the store per query. Default 200. */
  readonly readBatch?: number;
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

  constructor(private readonly options: EventUploaderOptions) {
    this.unsubscribe = options.store.onEvent(() => this.schedulePump());
  }

  /** The orchestrator welcomed us having applied everything up to `appliedUpTo`: ack that and send what follows. */
  start(appliedUpTo: number): void {
    const { store, logger } = this.options;
    const lastSeq = store.lastSeq();
    if (appliedUpTo > lastSeq) {
      logger.error(`the orchestrator applied events up to seq ${appliedUpTo} but this agent's outbox only reached ${lastSeq}; was the data dir reset?`);
    } else if (appliedUpTo < store.lastAckedSeq()) {
      logger.warn(`the orchestrator applied events only up to seq ${appliedUpTo}, below the acked ${store.lastAckedSeq()}; acked events are gone`);
    }
    this.acknowledge(appliedUpTo);
    this.lastSent = appliedUpTo;
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.running = true;
    this.pump();
  }

  /** The connection closed: stop sending until the next welcome. */
  stop(): void {
    this.running = false;
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
    this.unsubscribe();
    this.ackListeners.clear();
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
      const events = this.options.store.eventsAfter(this.lastSent, Math.min(readBatch, maxEvents - this.inFlight.length, fit));
      if (events.length === 0) return;
      for (const event of events) {
        if (!this.sendOne(event)) return;
        if (this.inFlightBytes >= maxBytes) return;
      }
    }
  }

  private sendOne(event: SessionEvent): boolean {
    const frame: AgentFrame = { type: 'event', event };
    const bytes = Buffer.byteLength(encodeFrame(frame));
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
