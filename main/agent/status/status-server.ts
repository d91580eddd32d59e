import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'winston';
import { STATUS_PATHS } from '../../../shared/status.js';
import { loadOrCreateMetricsToken, METRICS_PATH } from '../../../node-shared/metrics.js';
import { AgentMetrics, type AgentMetricsStore } from './agent-metrics.js';
import { StatusAssets } from './status-assets.js';
import { StatusEventStream } from './status-event-stream.js';
import { bearerToken, BodyError, isAllowedHost, isAllowedOrigin, isLoopbackAddress, readJsonBody, SECURITY_HEADERS, sendJson } from './status-http.js';
import { serveMetrics, type StatusMetrics } from './status-metrics.js';
import { loadOrCreateStatusToken, removeStatusEndpoint, writeStatusEndpoint } from './status-token.js';
import { tokensEqual } from '../../../node-shared/tokens.js';
import { StatusProducer, type StatusAgent, type StatusStoreReader } from './status.js';
import { AgentStore } from '../store/agent-store.js';

export interface StatusServerOptions {
  readonly producer: StatusProducer;
  readonly token: string;
  readonly assets: Pick<StatusAssets, 'get'>;
  /** Default 0 (a free port). The server always binds 127.0.0.1. */
  readonly port?: number;
  readonly logger?: Pick<Logger, 'warn'>;
  readonly heartbeatMs?: number;
  /** How long a stream ticket stays valid (default 30 s). */
  readonly ticketTtlMs?: number;
  /** Serves `GET /metrics` when given. */
  readonly metrics?: StatusMetrics;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_TICKETS = 64;

/**
 * The agent's loopback status endpoint: the built status page (public, it holds no data) and, behind the token,
 * the commands of shared/status.ts (POST, JSON) and one Server-Sent Events stream of snapshots. Listens on
 * 127.0.0.1 only, refuses other peers, other Host names and cross-origin requests.
 */
export class StatusServer {
  private readonly streams = new Set<StatusEventStream>();
  private readonly tickets = new Map<string, number>();
  private port = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: StatusServerOptions,
  ) {}

  static async start(options: StatusServerOptions): Promise<StatusServer> {
    const server = createServer();
    const status = new StatusServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      status.handle(req, res).catch((err: unknown) => {
        options.logger?.warn(`status endpoint: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    status.port = (server.address() as AddressInfo).port;
    return status;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The page's URL with the token in the fragment (never sent to the server, never logged by it). */
  get pageUrl(): string {
    return `${this.url}/#token=${this.options.token}`;
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.close();
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      res.writeHead(403, SECURITY_HEADERS).end();
      req.socket.destroy();
      return;
    }
    if (!isAllowedHost(req.headers.host, this.port) || !isAllowedOrigin(req.headers.origin, this.port)) {
      sendJson(res, 403, { error: 'forbidden' });
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === METRICS_PATH && this.options.metrics) return serveMetrics(req, res, this.options.metrics);
    if (!url.pathname.startsWith('/api/')) return this.serveAsset(req, res, url.pathname);
    if (url.pathname === STATUS_PATHS.events) return this.openStream(req, res, url);
    if (!tokensEqual(bearerToken(req), this.options.token)) {
      sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
      return;
    }
    if (url.pathname === STATUS_PATHS.streamTicket) {
      sendJson(res, 200, { ticket: this.issueTicket() });
      return;
    }
    if (url.pathname.startsWith(STATUS_PATHS.command)) return this.runCommand(req, res, decodeURIComponent(url.pathname.slice(STATUS_PATHS.command.length)));
    sendJson(res, 404, { error: 'not found' });
  }

  private serveAsset(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'use GET' }, { Allow: 'GET, HEAD' });
      return;
    }
    const asset = this.options.assets.get(path);
    if (!asset) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private async runCommand(req: IncomingMessage, res: ServerResponse, channel: string): Promise<void> {
    let payload: unknown;
    try {
      payload = await readJsonBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyError) return sendJson(res, err.status, { ok: false, error: err.message });
      throw err;
    }
    const result = this.options.producer.run(channel, payload);
    const status = result.ok ? 200 : result.error.startsWith('unknown command') ? 404 : 400;
    sendJson(res, status, result);
  }

  private issueTicket(): string {
    const now = Date.now();
    for (const [ticket, expires] of this.tickets) if (expires <= now) this.tickets.delete(ticket);
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value as string);
    const ticket = randomBytes(24).toString('base64url');
    this.tickets.set(ticket, now + (this.options.ticketTtlMs ?? 30_000));
    return ticket;
  }

  /** A one-time ticket (from POST /api/stream-ticket) admits one stream; EventSource cannot send the token header. */
  private redeemTicket(ticket: string | null): boolean {
    if (!ticket) return false;
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return expires !== undefined && expires > Date.now();
  }

  private openStream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const admitted = tokensEqual(bearerToken(req), this.options.token) || this.redeemTicket(url.searchParams.get('ticket'));
    if (!admitted) {
      sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'use GET' }, { Allow: 'GET' });
      return;
    }
    const { producer, heartbeatMs } = this.options;
    const stream = new StatusEventStream(res, heartbeatMs === undefined ? {} : { heartbeatMs });
    this.streams.add(stream);
    const unsubscribe = producer.subscribe((snapshot) => stream.send('status:changed', snapshot));
    res.on('close', () => {
      unsubscribe();
      stream.close();
      this.streams.delete(stream);
    });
    try {
      stream.send('status:changed', producer.snapshot());
    } catch (err) {
      this.options.logger?.warn(`status endpoint: no snapshot for a new stream: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export interface StartStatusServerOptions {
  readonly agent: StatusAgent;
  /** The agent's data dir: the token lives in it, and its agent.db is read when no `store` is given. */
  readonly dataDir: string;
  /** A reader of the agent's store; default: a second connection to `<dataDir>/agent.db` (WAL allows it). */
  readonly store?: StatusStoreReader & AgentMetricsStore;
  readonly port?: number;
  readonly logger?: Pick<Logger, 'warn' | 'info'>;
  /** Where renderer/ and scripts/ live (tests); default the flowhost package this module ships in. */
  readonly assetsRoot?: string;
}

export interface RunningStatusServer {
  readonly url: string;
  readonly pageUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the loopback status endpoint for a started Agent: builds the page if needed, loads (or creates) the token
 * in the data dir, and records the endpoint in `<dataDir>/status-endpoint.json` for `flowhost status`.
 */
export async function startStatusServer(options: StartStatusServerOptions): Promise<RunningStatusServer> {
  const assets = new StatusAssets(options.assetsRoot === undefined ? {} : { root: options.assetsRoot });
  await assets.ensureBuilt();
  const token = loadOrCreateStatusToken(options.dataDir);
  const ownStore = options.store ? undefined : AgentStore.open(join(options.dataDir, 'agent.db'));
  const store = options.store ?? (ownStore as AgentStore);
  const producer = new StatusProducer({ agent: options.agent, store });
  const metrics = new AgentMetrics({ agent: options.agent, store });
  const statusMetrics = { exposition: () => metrics.exposition(), tokens: [loadOrCreateMetricsToken(options.dataDir), token] };
  let server: StatusServer;
  try {
    server = await StatusServer.start({
      producer,
      token,
      assets,
      metrics: statusMetrics,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (err) {
    ownStore?.close();
    throw err;
  }
  writeStatusEndpoint(options.dataDir, { url: server.url, pid: process.pid, startedon: new Date().toISOString() });
  options.logger?.info(`status page on ${server.url} (run \`flowhost status\` for its address with the token)`);
  return {
    url: server.url,
    pageUrl: server.pageUrl,
    async close() {
      removeStatusEndpoint(options.dataDir, process.pid);
      await server.close();
      producer.close();
      ownStore?.close();
    },
  };
}
