import WebSocket from 'ws';
import type { Logger } from 'winston';
import { ErrorCode } from '../../../shared/error-codes.js';
import { AGENT_WS_PATH, CloseCode, MAX_FRAME_BYTES, type AgentFrame, type Hello, type OrchestratorFrame } from '../../../shared/protocol.js';
import { decodeOrchestratorFrame, encodeFrame, unreadableOffer } from '../../../shared/protocol-codec.js';
import {
  AGENT_FEATURES,
  AGENT_FEATURES_HEADER,
  Feature,
  featureHeader,
  ORCHESTRATOR_FEATURES_HEADER,
  orchestratorFeatures,
  parseFeatureHeader,
} from '../../../shared/protocol-features.js';
import { closeReason, cutUtf8 } from '../../../shared/utf8-cut.js';
import { Backoff, type BackoffOptions } from './connection-backoff.js';
import { ConnectionHeartbeat } from './connection-heartbeat.js';

type WelcomeFrame = Extract<OrchestratorFrame, { type: 'welcome' }>;

/** idle → connecting → connected (welcomed) → disconnected (waiting to retry) …; refused and stopped are final. */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'refused' | 'stopped';

export interface ConnectionOptions {
  /**
   * Base URLs of the orchestrator's instances (http, https, ws or wss; `/agent/v1` is appended to each path). The
   * connection starts at one chosen by the machine id (so a fleet spreads over them) and moves to the next whenever
   * a connection fails or ends.
   */
  readonly orchestratorUrls: readonly string[];
  readonly flowmachineid: string;
  readonly credential: string;
  /** PEM CA a wss orchestrator's certificate must chain to, instead of the system's CAs. */
  readonly ca?: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** Liveness interval assumed until `welcome` names the real one. Default 30 000. */
  readonly heartbeatIntervalMs?: number;
  /** Silence tolerated as a multiple of the heartbeat interval. Default 2.5. */
  readonly heartbeatTimeoutFactor?: number;
  /** The `hello` frame, built fresh on every open (the connection adds the features when the orchestrator takes them). */
  readonly hello: () => Hello;
  /** The agent's heartbeat frame (its `state`), sent every heartbeat interval once welcomed. */
  readonly heartbeat: () => AgentFrame;
  /** Every valid frame from the orchestrator, `welcome` included, in arrival order. */
  readonly onFrame: (frame: OrchestratorFrame) => void;
  /** The socket closed (before the next reconnect is scheduled). */
  readonly onClose?: (code: number, reason: string) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
}

/** Close codes after which reconnecting cannot help: the credential or the protocol version is refused. */
const FINAL_CLOSE: ReadonlyMap<number, string> = new Map([
  [CloseCode.Unauthorized, 'the orchestrator refused the machine credential (4001); register the machine again'],
  [CloseCode.Revoked, 'the machine was revoked by the orchestrator (4005); register it again'],
  [CloseCode.UnsupportedVersion, 'the orchestrator does not speak this agent protocol version (4002); update the agent'],
  [CloseCode.Replaced, 'another agent connected with this machine credential (4003); only one agent may use a credential'],
]);

export function agentWebSocketUrl(orchestratorUrl: string): string {
  const url = new URL(orchestratorUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`orchestrator URL must be http(s) or ws(s): ${orchestratorUrl}`);
  url.pathname = url.pathname.replace(/\/+$/, '') + AGENT_WS_PATH;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * The agent's WebSocket to the orchestrator: authenticates on the upgrade, validates every frame, keeps
 * the link alive and reconnects with backoff. It knows nothing of sessions; the agent wires the frames.
 */
export class AgentConnection {
  private socket: WebSocket | undefined;
  private current: ConnectionStatus = 'idle';
  private error: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private welcomedAt: number | undefined;
  private readonly backoff: Backoff;
  private readonly urls: readonly string[];
  /** Index of the instance of the current (or last) attempt, and of the next attempt's. */
  private using = 0;
  private next: number;
  private closed: Promise<void> = Promise.resolve();
  /** What the orchestrator of the current connection announced on the upgrade, then declared in its welcome. */
  private peer: ReadonlySet<string> = new Set();

  constructor(private readonly options: ConnectionOptions) {
    this.backoff = new Backoff(options.backoff);
    if (options.orchestratorUrls.length === 0) throw new Error('no orchestrator URL given');
    this.urls = options.orchestratorUrls.map(agentWebSocketUrl);
    this.next = firstInstance(options.flowmachineid, this.urls.length);
  }

  /** The orchestrator instance this connection uses now, or tries next (its base URL, as given). */
  get orchestratorUrl(): string {
    return this.options.orchestratorUrls[this.current === 'connected' || this.current === 'connecting' ? this.using : this.next]!;
  }

  get status(): ConnectionStatus {
    return this.current;
  }

  /** Why the last connection ended or was refused, if it did not end normally. */
  get lastError(): string | undefined {
    return this.error;
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.connect();
  }

  /** Sends one frame; false when there is no open socket (the caller retries after the next welcome). */
  send(frame: AgentFrame): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    const text = encodeFrame(frame);
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      this.options.logger.error(`agent frame ${frame.type} is larger than ${MAX_FRAME_BYTES} bytes; not sent`);
      return false;
    }
    return this.sendEncoded(text);
  }

  /** Sends a frame its caller already encoded and size-checked (the event uploader); false when there is no open socket. */
  sendEncoded(text: string): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(text);
    return true;
  }

  /** When the current connection was welcomed; undefined while not connected. */
  get connectedSince(): Date | undefined {
    return this.welcomedAt === undefined ? undefined : new Date(this.welcomedAt);
  }

  /** The features the orchestrator of the current connection declared (none from one before negotiation). */
  get peerFeatures(): ReadonlySet<string> {
    return this.peer;
  }

  /** Closes the socket (1000) and stops reconnecting; resolves when the socket is closed. */
  async stop(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    if (this.current === 'stopped') return this.closed;
    this.setStatus('stopped');
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const forceKill = setTimeout(() => socket.terminate(), 2000);
      socket.close(CloseCode.Normal, 'agent stopping');
      await this.closed;
      clearTimeout(forceKill);
    }
  }

  private connect(): void {
    this.using = this.next;
    this.next = (this.next + 1) % this.urls.length;
    this.setStatus('connecting');
    const { flowmachineid, credential, logger } = this.options;
    const socket = new WebSocket(this.urls[this.using]!, {
      headers: { authorization: `Bearer ${flowmachineid}.${credential}`, [AGENT_FEATURES_HEADER]: featureHeader(AGENT_FEATURES) },
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
    this.socket = socket;
    this.peer = new Set();
    let httpRefusal: string | undefined;
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    const heartbeat = new ConnectionHeartbeat({
      intervalMs: this.options.heartbeatIntervalMs ?? 30_000,
      ...(this.options.heartbeatTimeoutFactor === undefined ? {} : { timeoutFactor: this.options.heartbeatTimeoutFactor }),
      onBeat: () => this.send(this.options.heartbeat()),
      onSilence: (ms) => {
        logger.warn(`orchestrator silent for ${ms} ms; dropping the connection`);
        socket.terminate();
      },
    });
    socket.on('unexpected-response', (_req, res) => {
      httpRefusal = `the orchestrator answered the upgrade with HTTP ${res.statusCode}`;
      res.resume();
      socket.terminate();
    });
    socket.on('upgrade', (res) => (this.peer = orchestratorFeatures(parseFeatureHeader(res.headers[ORCHESTRATOR_FEATURES_HEADER.toLowerCase()]))));
    socket.on('open', () => {
      heartbeat.watch();
      const hello = this.options.hello();
      // An orchestrator refuses fields it does not know: the list goes only to one that announced it takes it.
      this.send(this.peer.has(Feature.FeatureLists) ? { ...hello, features: [...AGENT_FEATURES] } : hello);
    });
    socket.on('ping', () => heartbeat.touch());
    socket.on('message', (data, isBinary) => {
      // Stopped: a frame still arriving while the socket closes (a late welcome) must not revive the connection.
      if (this.current === 'stopped') return;
      heartbeat.touch();
      this.receive(socket, heartbeat, isBinary ? null : rawText(data));
    });
    socket.on('error', (err) => {
      if (!httpRefusal) logger.warn(`agent connection error: ${err.message}`);
    });
    socket.on('close', (code, reason) => {
      heartbeat.stop();
      resolveClosed();
      this.closedWith(code, reason.toString('utf8'), httpRefusal);
    });
  }

  private receive(socket: WebSocket, heartbeat: ConnectionHeartbeat, text: string | null): void {
    const decoded = text === null ? { ok: false as const, error: 'binary frames are not part of the protocol' } : decodeOrchestratorFrame(text);
    if (!decoded.ok && text !== null) {
      const offer = unreadableOffer(text);
      if (offer !== undefined) return this.refuseOffer(offer, decoded.error);
    }
    if (!decoded.ok) {
      // The error may quote a key or value of any length: the log line is cut too.
      this.options.logger.error(`invalid frame from the orchestrator: ${cutUtf8(decoded.error, 2000)}`);
      socket.close(CloseCode.InvalidFrame, closeReason(decoded.error));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'welcome') this.welcomed(frame, heartbeat);
    else if (frame.type === 'error') this.options.logger.warn(`orchestrator error ${frame.code}: ${frame.message}`);
    this.options.onFrame(frame);
  }

  /**
   * An offer this agent cannot read (a flow kind or field it does not know: the orchestrator ignored the features it
   * declared) is rejected with the reason; the connection stays, and the orchestrator does not offer it here again.
   */
  private refuseOffer(sessionId: string, error: string): void {
    this.options.logger.warn(`offer of session ${sessionId} rejected: this agent cannot read it (${cutUtf8(error, 2000)})`);
    this.send({ type: 'reject', sessionId, errorcode: ErrorCode.FeatureUnsupported, message: cutUtf8(`this agent cannot run the offer: ${error}`, 2000) });
  }

  private welcomed(frame: WelcomeFrame, heartbeat: ConnectionHeartbeat): void {
    this.peer = orchestratorFeatures(this.peer, frame.features);
    this.welcomedAt = Date.now();
    this.error = undefined;
    this.options.logger.info(`connected to the orchestrator at ${this.urls[this.using]!} as machine ${frame.flowmachineid}`);
    heartbeat.start(frame.heartbeatIntervalMs);
    this.setStatus('connected');
  }

  private closedWith(code: number, reason: string, httpRefusal: string | undefined): void {
    const { logger } = this.options;
    this.socket = undefined;
    if (this.welcomedAt !== undefined) this.backoff.connectionEnded(Date.now() - this.welcomedAt);
    this.welcomedAt = undefined;
    this.options.onClose?.(code, reason);
    if (this.current === 'stopped') return;
    const final = FINAL_CLOSE.get(code) ?? (httpRefusal && /HTTP 40[13]$/.test(httpRefusal) ? `${httpRefusal}: the machine credential is refused` : undefined);
    if (final) {
      this.error = reason ? `${final}: ${reason}` : final;
      logger.error(`agent connection refused: ${this.error}; not reconnecting`);
      this.setStatus('refused');
      return;
    }
    this.error = httpRefusal ?? `connection closed (${code}${reason ? `: ${reason}` : ''})`;
    const delay = this.backoff.next();
    const to = this.urls.length > 1 ? ` to ${this.urls[this.next]!}` : '';
    logger.info(`agent connection lost (${this.error}); reconnecting${to} in ${delay} ms`);
    this.setStatus('disconnected');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.current === status) return;
    this.current = status;
    this.options.onStatus?.(status);
  }
}

/** A stable spread of a fleet over `count` instances: the machine id's first 32 bits, modulo. */
function firstInstance(flowmachineid: string, count: number): number {
  const bits = Number.parseInt(flowmachineid.replaceAll('-', '').slice(0, 8), 16);
  return Number.isFinite(bits) ? bits % count : 0;
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
