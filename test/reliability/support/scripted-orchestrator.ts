import { expect } from 'vitest';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeAgentFrame, encodeFrame } from '../../../shared/protocol-codec.js';
import { AGENT_WS_PATH, PROTOCOL_VERSION, type AgentFrame, type LogLine, type OrchestratorFrame, type WireEvent } from '../../../shared/protocol.js';
import { linesOfLogChunk } from '../../../shared/log-chunk.js';
import { AGENT_FEATURES_HEADER, Feature, featureHeader, ORCHESTRATOR_FEATURES, ORCHESTRATOR_FEATURES_HEADER, parseFeatureHeader } from '../../../shared/protocol-features.js';

/**
 * The orchestrator's end of one agent socket, played by the test: a real WebSocket server on port 0 that answers
 * hello with welcome and otherwise does only what the test tells it (assign, confirm, ack — or withhold acks). It
 * announces `features` (default: this orchestrator's); one that lacks `features` or `events` plays an older release,
 * whose decoder closes the socket on a hello carrying `features` or on an `events` frame.
 * Every frame the agent sends is decoded with the protocol codec and kept, in order; an `events` frame is kept as
 * the `event` frames of its events, so tests read one shape.
 */
export class ScriptedOrchestrator {
  readonly frames: AgentFrame[] = [];
  /** For each of `frames`, the number of the socket it came on (0 = the first connection). */
  private readonly frameSockets: number[] = [];
  private sockets = 0;
  url = '';
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private waiters: (() => void)[] = [];
  /** `events` frames refused so far (their events are not kept), by an orchestrator that did not announce them. */
  eventsFramesRefused = 0;
  /** `events` frames taken (each kept as its events' `event` frames). */
  eventsFramesReceived = 0;
  /** The features header of each agent upgrade, in order. */
  readonly agentHeaders: ReadonlySet<string>[] = [];
  /** How each agent socket closed, in order (code and reason as the agent sent them). */
  readonly closes: { code: number; reason: string }[] = [];

  constructor(
    private readonly machineId: string,
    /** Named in welcome: the agent sends its `state` this often (and drops a link silent for 2.5×). */
    private readonly heartbeatIntervalMs = 60_000,
    private readonly features: readonly string[] = ORCHESTRATOR_FEATURES,
  ) {}

  async start(): Promise<void> {
    const server = createServer();
    const wss = new WebSocketServer({ server, path: AGENT_WS_PATH });
    wss.on('headers', (headers) => {
      if (this.features.length > 0) headers.push(`${ORCHESTRATOR_FEATURES_HEADER}: ${featureHeader(this.features)}`);
    });
    wss.on('connection', (socket, request) => {
      this.socket = socket;
      const index = this.sockets++;
      this.agentHeaders.push(parseFeatureHeader(request.headers[AGENT_FEATURES_HEADER.toLowerCase()]));
      const pinger = setInterval(() => socket.ping(), this.heartbeatIntervalMs);
      socket.on('close', (code, reason) => {
        clearInterval(pinger);
        this.closes.push({ code, reason: reason.toString('utf8') });
        for (const w of this.waiters.splice(0)) w();
      });
      socket.on('message', (data) => this.receive(String(data), index));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.wss = wss;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private receive(text: string, socketIndex: number): void {
    const decoded = decodeAgentFrame(text);
    if (!decoded.ok) throw new Error(`the agent sent an invalid frame: ${decoded.error}`);
    const frame = decoded.frame;
    if (frame.type === 'events' && !this.features.includes(Feature.EventsFrames)) {
      this.eventsFramesRefused++;
      this.socket?.close(4000, 'unknown frame type "events"');
      return;
    }
    if (frame.type === 'hello' && frame.features && !this.features.includes(Feature.FeatureLists)) {
      this.socket?.close(4000, 'invalid hello frame: frame must NOT have additional properties');
      return;
    }
    if (frame.type === 'events') this.eventsFramesReceived++;
    for (const kept of frame.type === 'events' ? frame.events.map((event): AgentFrame => ({ type: 'event', event })) : [frame]) {
      this.frames.push(kept);
      this.frameSockets.push(socketIndex);
    }
    if (frame.type === 'hello') {
      const declared = frame.features ?? [...(this.agentHeaders.at(-1) ?? [])];
      const features = this.features.includes(Feature.FeatureLists) && declared.includes(Feature.FeatureLists) ? { features: [...this.features] } : {};
      this.send({ type: 'welcome', protocol: PROTOCOL_VERSION, flowmachineid: this.machineId, appliedUpTo: 0, serverTime: new Date().toISOString(), heartbeatIntervalMs: this.heartbeatIntervalMs, cancelSessions: [], ...features });
    }
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: OrchestratorFrame): void {
    if (!this.socket) throw new Error('no agent connected');
    this.socket.send(encodeFrame(frame));
  }

  /** Sends `text` as it is (a frame the codec would never make). */
  sendText(text: string): void {
    if (!this.socket) throw new Error('no agent connected');
    this.socket.send(text);
  }

  /** Resolves with the close of socket number `index` (0 = the first connection); rejects after `timeoutMs`. */
  async waitClose(index: number, timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const close = this.closes[index];
      if (close) return close;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for close #${index}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the first frame (from `from` on) that matches; rejects after `timeoutMs`. */
  async waitFrame<T extends AgentFrame>(match: (f: AgentFrame) => f is T, opts: { from?: number; timeoutMs?: number; what: string }): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    for (;;) {
      const found = this.frames.slice(opts.from ?? 0).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${opts.what}; last frames: ${this.frames.slice(-3).map((f) => f.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Seqs of every `event` frame received, in arrival order. */
  eventSeqs(): number[] {
    return this.frames.flatMap((f) => (f.type === 'event' ? [f.event.seq] : []));
  }

  /**
   * Seqs of the `event` frames of each socket that carried any, in arrival order. This peer never acks, so an agent
   * that reconnects (a link it found silent on a loaded machine) replays its whole outbox from seq 1 on the new socket.
   */
  eventSeqsBySocket(): number[][] {
    const bySocket = new Map<number, number[]>();
    this.frames.forEach((f, i) => {
      if (f.type !== 'event') return;
      const socket = this.frameSockets[i]!;
      bySocket.set(socket, [...(bySocket.get(socket) ?? []), f.event.seq]);
    });
    return [...bySocket.values()];
  }

  async close(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The log lines an event carries: a `log` event's, or a `log-chunk` event's (to a peer that declared `log-chunks`). */
export const logLines = (e: WireEvent): LogLine[] => (e.kind === 'log' ? e.lines : e.kind === 'log-chunk' ? linesOfLogChunk(e) : []);

export const isFrame =
  <K extends AgentFrame['type']>(type: K, pred: (f: Extract<AgentFrame, { type: K }>) => boolean = () => true) =>
  (f: AgentFrame): f is Extract<AgentFrame, { type: K }> =>
    f.type === type && pred(f as Extract<AgentFrame, { type: K }>);

/**
 * The agent sent its outbox 1..lastSeq in order, each event once per socket: every socket carried a gap-free run
 * from seq 1 (a reconnect replays the unacked outbox), and the last one all of it.
 */
export function expectOutboxSentInOrder(peer: ScriptedOrchestrator, lastSeq: number): void {
  const bySocket = peer.eventSeqsBySocket();
  for (const seqs of bySocket) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(bySocket.at(-1)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
}
