import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { wsUrl } from './fake-agent.js';

/** Close codes a relay may pass on (1005/1006 and other reserved ones cannot be sent). */
const sendable = (code: number) => code === 1000 || code === 1001 || (code >= 3000 && code <= 4999);

/**
 * A WebSocket relay between an agent and the orchestrator that records, in order, every frame the orchestrator
 * sent: a test asserts which path carried a command (a `welcome` field or a frame of its own). Point the agent's
 * `orchestratorUrl` at `url`; each agent connection gets an upstream connection with the same credential.
 */
export class FrameTap {
  readonly fromOrchestrator: { readonly type: string; readonly [field: string]: unknown }[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(orchestratorUrl: string): Promise<FrameTap> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const tap = new FrameTap(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (agentSide, req) => tap.relay(agentSide, orchestratorUrl, req.headers.authorization ?? ''));
    return tap;
  }

  private relay(agentSide: WebSocket, orchestratorUrl: string, authorization: string): void {
    const upstream = new WebSocket(wsUrl(orchestratorUrl), { headers: { authorization } });
    const early: [RawData, boolean][] = [];
    agentSide.on('error', () => undefined);
    upstream.on('error', () => undefined);
    agentSide.on('message', (data, isBinary) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data, { binary: isBinary }) : early.push([data, isBinary])));
    upstream.on('open', () => {
      for (const [data, isBinary] of early.splice(0)) upstream.send(data, { binary: isBinary });
    });
    upstream.on('message', (data, isBinary) => {
      if (!isBinary) this.fromOrchestrator.push(JSON.parse(rawText(data)) as FrameTap['fromOrchestrator'][number]);
      agentSide.send(data, { binary: isBinary });
    });
    upstream.on('ping', () => agentSide.ping());
    upstream.on('close', (code, reason) => (sendable(code) ? agentSide.close(code, reason) : agentSide.terminate()));
    agentSide.on('close', () => upstream.terminate());
  }

  /** The frames of one type, in the order sent. */
  frames(type: string): FrameTap['fromOrchestrator'] {
    return this.fromOrchestrator.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
