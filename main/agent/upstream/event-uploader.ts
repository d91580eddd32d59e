import type { Logger } from 'winston';
import { MAX_EVENTS_PER_FRAME, MAX_FRAME_BYTES } from '../../../shared/protocol.js';
import type { EncodedEvent, LogForm } from '../store/event-outbox.js';

/** The part of the agent store the uploader reads: the upstream outbox (AgentStore implements it). */
export interface OutboxStore {
  encodedEventsAfter(seq: number, limit: number, logs?: LogForm): EncodedEvent[];
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
   * Sends one encoded `events` frame (its size already checked); false when the connection is gone (the uploader
   * waits for the next start).
   */
  readonly send: (encodedFrame: string) => boolean;
  /**
   * Whether the orchestrator of the connection being started declared `events` frames (asked at every start); one
   * event per `event` frame when not. Default: it did.
   */
  readonly takesEventsFrames?: () => boolean;
  /**
   * Whether the orchestrator of the connection being started declared `log-chunks` (asked at every start): a stored
   * log chunk goes as a `log-chunk` event, else as a `log` event's lines. Default: it did not.
   */
  readonly takesLogChunks?: () => boolean;
  /**
   * An event as this connection's orchestrator gets it: what it declared it takes beyond the stored event (a
   * `completed` event's screenshot). Default: the stored event.
   */
  readonly asSent?: (event: EncodedEvent) => EncodedEvent;
  readonly logger: Logger;
  /** Most events sent and not yet acked. Default 20,000. */
  readonly maxInFlightEvents?: number;
  /** Most bytes sent and not yet acked. Default 4 MiB. */
  readonly maxInFlightBytes?: number;
  /** Most events per `events` frame (also the events read from the store per query). Default MAX_EVENTS_PER_FRAME. */
  readonly maxEventsPerFrame?: number;
  /** Bytes a frame is filled up to; a single event larger than this goes alone (up to MAX_FRAME_BYTES). Default 1 MiB. */
  readonly frameBytes?: number;
  /**
   * How often to look for events another process committed (`flowhost run` on the same data dir), which onEvent
   * does not hear of. Default 1000 ms; 0 turns it off.
   */
  readonly pollIntervalMs?: number;
}

/** The text around the events of a frame: `events` (many), or `event` (one) for orchestrators that did not declare `events`. */
const BATCH_FRAME = { head: '{"type":"events","events":[', tail: ']}' };
const SINGLE_FRAME = { head: '{"type":"event","event":', tail: '}' };

/**
 * Sends the outbox upstream in seq order, consecutive events packed into `events` frames, with a bounded window of
 * unacked events and bytes. The orchestrator applies each seq once and acks; only an ack deletes events (the store does). After a reconnect, `start` rewinds
 * to what the orchestrator says it applied, so every event is replayed that it has not seen.
 */
export class EventUploader {
  private running = false;
  private lastSent = 0;
  /** Sent, unacked frames in seq order: the last seq of each, its event count and size. */
  private inFlight: { seq: number; events: number; bytes: number }[] = [];
  private inFlightEvents = 0;
  private inFlightBytes = 0;
  private pumpQueued = false;
  /** Mean size of the events of the last frame: how many the next read may fetch. */
  private eventBytes = 1;
  private readonly unsubscribe: () => void;
  private readonly ackListeners = new Set<() => void>();
  private pollTimer: NodeJS.Timeout | undefined;
  private framing = BATCH_FRAME;
  private logForm: LogForm = 'lines';

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
    this.chooseFraming();
    this.logForm = this.options.takesLogChunks?.() ? 'chunks' : 'lines';
    this.lastSent = appliedUpTo;
    this.inFlight = [];
    this.inFlightEvents = 0;
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
    while (this.inFlight.length > 0 && this.inFlight[0]!.seq <= upTo) {
      const frame = this.inFlight.shift()!;
      this.inFlightEvents -= frame.events;
      this.inFlightBytes -= frame.bytes;
    }
    const head = this.inFlight[0];
    if (head && head.seq - head.events < upTo) {
      // A frame acked in part: what is left of it counts with its share of the bytes.
      const left = head.seq - upTo;
      const bytes = Math.round((head.bytes * left) / head.events);
      this.inFlightEvents -= head.events - left;
      this.inFlightBytes -= head.bytes - bytes;
      head.events = left;
      head.bytes = bytes;
    }
    if (upTo > this.lastSent) this.lastSent = upTo;
    for (const listener of this.ackListeners) listener();
    this.pump();
  }

  /** `events` frames when this connection's orchestrator declared them, else one event per `event` frame (said once). */
  private chooseFraming(): void {
    const framing = (this.options.takesEventsFrames?.() ?? true) ? BATCH_FRAME : SINGLE_FRAME;
    if (framing === this.framing) return;
    this.framing = framing;
    if (framing === SINGLE_FRAME) {
      this.options.logger.warn('the orchestrator did not declare `events` frames (an older release): sending one event per frame; upgrade it for faster replay');
    }
  }

  /** Called after every ack (drain waits on it). */
  onAck(listener: () => void): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  get unacked(): { events: number; bytes: number } {
    return { events: this.inFlightEvents, bytes: this.inFlightBytes };
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
    const maxEvents = this.options.maxInFlightEvents ?? 20_000;
    const maxBytes = this.options.maxInFlightBytes ?? 4 * 1024 * 1024;
    const perFrame = this.framing === SINGLE_FRAME ? 1 : Math.min(this.options.maxEventsPerFrame ?? MAX_EVENTS_PER_FRAME, MAX_EVENTS_PER_FRAME);
    while (this.running && this.inFlightEvents < maxEvents && this.inFlightBytes < maxBytes) {
      // Read only about as many events as one frame and the byte window take (one more, should they be smaller than the
      // last frame's): each event read is encoded (a log chunk's text, or its lines), and what does not fit would be
      // encoded again for the next frame.
      const room = Math.min(maxBytes - this.inFlightBytes, this.frameBudget());
      const fit = Math.ceil(room / this.eventBytes) + 1;
      const stored = this.options.store.encodedEventsAfter(this.lastSent, Math.min(perFrame, maxEvents - this.inFlightEvents, fit), this.logForm);
      const asSent = this.options.asSent;
      const events = asSent ? stored.map(asSent) : stored;
      if (events.length === 0 || !this.sendFrame(events, maxBytes)) return;
    }
  }

  private frameBudget(): number {
    return Math.min(this.options.frameBytes ?? 1024 * 1024, MAX_FRAME_BYTES);
  }

  /**
   * Sends the longest run of `events` from the first that fits one frame (`frameBytes`) and the byte window (the
   * event that reaches it is the last, as the window counts whole events); false when sending must stop.
   */
  private sendFrame(events: readonly EncodedEvent[], maxBytes: number): boolean {
    const budget = this.frameBudget();
    const { head, tail } = this.framing;
    let bytes = head.length + tail.length;
    let count = 0;
    while (count < events.length) {
      const size = Buffer.byteLength(events[count]!.body) + (count > 0 ? 1 : 0);
      if (count > 0 && bytes + size > budget) break;
      bytes += size;
      count++;
      if (this.inFlightBytes + bytes >= maxBytes) break;
    }
    const first = events[0]!;
    if (bytes > MAX_FRAME_BYTES) {
      // Skipping it would leave a gap the orchestrator refuses; the outbox waits here and says why.
      this.options.logger.error(`event seq ${first.seq} (${first.kind}, session ${first.sessionId}) is ${bytes} bytes, over the ${MAX_FRAME_BYTES}-byte frame limit; upload is blocked at it`);
      this.running = false;
      return false;
    }
    // The stored bodies are the events' JSON: framing them by hand encodes each event once on this hot path.
    let frame = head + first.body;
    for (let i = 1; i < count; i++) frame += ',' + events[i]!.body;
    if (!this.options.send(frame + tail)) {
      this.running = false;
      return false;
    }
    const last = events[count - 1]!.seq;
    this.inFlight.push({ seq: last, events: count, bytes });
    this.inFlightEvents += count;
    this.inFlightBytes += bytes;
    this.lastSent = last;
    this.eventBytes = Math.max(1, Math.round(bytes / count));
    return true;
  }
}
