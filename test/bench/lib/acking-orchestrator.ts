import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame } from '../../../shared/protocol-codec.js';
import { ORCHESTRATOR_FEATURES } from '../../../shared/protocol-features.js';
import { AGENT_WS_PATH, MAX_FRAME_BYTES, PROTOCOL_VERSION, type AgentFrame, type OrchestratorFrame } from '../../../shared/protocol.js';
import type { FlowDefinition } from '../../../shared/flow-definition.js';

export interface SessionResult {
  readonly statuscode: number;
  /** stdout lines received in `log` events, with their per-session seq checked for gaps. */
  readonly lines: number;
  readonly gaps: number;
}

/**
 * A lean stand-in for the orchestrator's gateway: welcome, assign → accept → confirm, and an `ack` per burst
 * of events exactly as orchestrator/gateway/agent-connection.ts batches them — but it stores nothing, so a
 * bench of the agent measures the agent. Frames are JSON-parsed, not schema-checked (the agent's cost is
 * what is measured). Declares what the orchestrator does (`events` frames, `log-chunks`). Checks the event seq is
 * gapless and counts the log lines it receives.
 */
export class AckingOrchestrator {
  readonly machineId = randomUUID();
  private socket: WebSocket | undefined;
  private applied = 0;
  private ackScheduled = false;
  private connectedWaiters: (() => void)[] = [];
  private readonly sessions = new Map<string, { lines: number; nextLineSeq: number; gaps: number; resolve: (r: SessionResult) => void }>();

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => this.accept(ws));
  }

  static async start(): Promise<AckingOrchestrator> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: AGENT_WS_PATH, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    await new Promise((resolve) => wss.once('listening', resolve));
    return new AckingOrchestrator(wss);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get credentials() {
    return { flowmachineid: this.machineId, credential: 'bench-credential-'.padEnd(43, 'x'), callbackSecret: 'bench-callback-secret' };
  }

  /**
   * Assigns one session running `flow` (with `inputs`, secret ones named: the agent masks them in the log); resolves
   * when its `completed` event arrived (everything before it is applied).
   */
  run(flow: FlowDefinition, inputs: { inputs: string; secretInputs: string[] } = { inputs: '{}', secretInputs: [] }): Promise<SessionResult> {
    const id = randomUUID();
    const done = new Promise<SessionResult>((resolve) => this.sessions.set(id, { lines: 0, nextLineSeq: 0, gaps: 0, resolve }));
    this.send({
      type: 'assign',
      session: { flowsessionid: id, name: 'bench', workflowid: randomUUID(), runmode: 2, priority: 0, timeout: 3600, createdon: new Date().toISOString() },
      flow,
      ...inputs,
    });
    return done;
  }

  close(): Promise<void> {
    this.socket?.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private send(frame: OrchestratorFrame): void {
    if (!this.socket) throw new Error('no agent connected');
    this.socket.send(encodeFrame(frame));
  }

  private accept(ws: WebSocket): void {
    this.socket = ws;
    const ping = setInterval(() => ws.ping(), 10_000);
    ws.on('close', () => clearInterval(ping));
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as AgentFrame));
  }

  private onFrame(frame: AgentFrame): void {
    switch (frame.type) {
      case 'hello':
        this.send({
          type: 'welcome',
          protocol: PROTOCOL_VERSION,
          flowmachineid: this.machineId,
          appliedUpTo: this.applied,
          serverTime: new Date().toISOString(),
          heartbeatIntervalMs: 10_000,
          cancelSessions: [],
          // What the orchestrator declares (events frames, log chunks); the bench's agent is this build, which takes the list.
          features: [...ORCHESTRATOR_FEATURES],
        });
        return;
      case 'accept':
        this.send({ type: 'confirm', sessionId: frame.sessionId });
        return;
      case 'event':
        return this.onEvent(frame.event);
      case 'events':
        return frame.events.forEach((event) => this.onEvent(event));
      default:
        return;
    }
  }

  private onEvent(event: Extract<AgentFrame, { type: 'event' }>['event']): void {
    if (event.seq <= this.applied) return this.ack();
    if (event.seq !== this.applied + 1) throw new Error(`event seq ${event.seq} skips ahead of ${this.applied}`);
    this.applied = event.seq;
    this.ack();
    const s = this.sessions.get(event.sessionId);
    if (!s) return;
    if (event.kind === 'log-chunk') {
      const lines = event.times.reduce((sum, [, n]) => sum + n, 0);
      if (event.stream === 'stdout') s.lines += lines;
      if (event.firstLine !== s.nextLineSeq) s.gaps++;
      s.nextLineSeq = event.firstLine + lines;
    } else if (event.kind === 'log') {
      for (const line of event.lines) {
        if (line.stream !== 'stdout') continue;
        s.lines++;
      }
      const first = event.lines[0]!.seq;
      if (first !== s.nextLineSeq) s.gaps++;
      s.nextLineSeq = event.lines[event.lines.length - 1]!.seq + 1;
    } else if (event.kind === 'completed') {
      this.sessions.delete(event.sessionId);
      s.resolve({ statuscode: event.statuscode, lines: s.lines, gaps: s.gaps });
    }
  }

  private ack(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      this.socket?.send(encodeFrame({ type: 'ack', upTo: this.applied }));
    });
  }
}
