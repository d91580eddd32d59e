import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AGENT_FEATURES_HEADER } from '../../shared/protocol-features.js';
import { wsUrl } from './fake-agent.js';

/** Close codes a relay may pass on (1005/1006 and other reserved ones cannot be sent). */
const sendable = (code: number) => code === 1000 || code === 1001 || (code >= 3000 && code <= 4999);

/**
 * A WebSocket relay between an agent and the orchestrator that records, in order, every frame the orchestrator
 * sent (a test asserts which path carried a command: a `welcome` field or a frame of its own) and the kinds of the
 * events the agent sent (which form carried its log). Point the agent's
 * `orchestratorUrl` at `url`; each agent connection gets an upstream connection with the same credential.
 */
export class FrameTap {
  readonly fromOrchestrator: { readonly type: string; readonly [field: string]: unknown }[] = [];
  /** The `kind` of every event the agent sent (in `event` and `events` frames), in order. */
  readonly agentEventKinds: string[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(orchestratorUrl: string): Promise<FrameTap> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const tap = new FrameTap(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (agentSide, req) => {
      // The agent's features go upstream, so the orchestrator's welcome lists its own (the relay's upgrade response does not).
      const features = req.headers[AGENT_FEATURES_HEADER.toLowerCase()];
      tap.relay(agentSide, orchestratorUrl, { authorization: req.headers.authorization ?? '', ...(typeof features === 'string' ? { [AGENT_FEATURES_HEADER]: features } : {}) });
    });
    return tap;
  }

  private relay(agentSide: WebSocket, orchestratorUrl: string, headers: Record<string, string>): void {
    const upstream = new WebSocket(wsUrl(orchestratorUrl), { headers });
    const early: [RawData, boolean][] = [];
    agentSide.on('error', () => undefined);
    upstream.on('error', () => undefined);
    agentSide.on('message', (data, isBinary) => {
      if (!isBinary) this.recordAgentFrame(rawText(data));
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else early.push([data, isBinary]);
    });
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

  private recordAgentFrame(text: string): void {
    const frame = JSON.parse(text) as { type: string; event?: { kind: string }; events?: { kind: string }[] };
    for (const e of frame.type === 'event' && frame.event ? [frame.event] : frame.type === 'events' ? (frame.events ?? []) : []) this.agentEventKinds.push(e.kind);
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
