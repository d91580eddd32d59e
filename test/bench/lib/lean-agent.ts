import WebSocket from 'ws';
import { AGENT_WS_PATH, PROTOCOL_VERSION, type AgentFrame, type AgentState, type OrchestratorFrame } from '../../../shared/protocol.js';

/**
 * A protocol-level agent for fan-out benches: hello, then accept every assign, report it `completed` right after the
 * confirm, and send `state` when its slot is taken or freed. It keeps no frames (unlike test/support FakeAgent), so
 * thousands fit in one process. Pings are answered by `ws` itself (the heartbeat).
 */
export class LeanAgent {
  private ws: WebSocket | undefined;
  private seq = 0;
  private busy = 0;
  connected = false;

  constructor(
    private readonly o: {
      readonly baseUrl: string;
      readonly machineId: string;
      readonly credential: string;
      /** Called when an `assign` arrives (ms on this host's wall clock, sub-ms resolution). */
      readonly onAssign: (sessionId: string, atMs: number) => void;
      readonly onClose: () => void;
    },
  ) {}

  /** Resolves at the welcome; rejects if the socket fails first. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.o.baseUrl.replace(/^http/, 'ws')}${AGENT_WS_PATH}`, {
        headers: { authorization: `Bearer ${this.o.machineId}.${this.o.credential}` },
        perMessageDeflate: false,
      });
      this.ws = ws;
      ws.on('open', () => this.send({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: '0.0.0-lean', os: 'linux', lastAckedSeq: 0, state: this.state(), activeSessions: [] }));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as OrchestratorFrame;
        if (frame.type === 'welcome') {
          this.seq = frame.appliedUpTo;
          this.connected = true;
          resolve();
        } else this.onFrame(frame);
      });
      ws.on('error', (err) => {
        if (!this.connected) reject(err);
      });
      ws.on('close', () => {
        const was = this.connected;
        this.connected = false;
        if (was) this.o.onClose();
        else reject(new Error(`${this.o.machineId}: closed before welcome`));
      });
    });
  }

  close(): void {
    this.ws?.close();
  }

  private onFrame(frame: OrchestratorFrame): void {
    switch (frame.type) {
      case 'assign':
        this.o.onAssign(frame.session.flowsessionid, performance.timeOrigin + performance.now());
        this.busy++;
        this.send({ type: 'accept', sessionId: frame.session.flowsessionid });
        this.send({ type: 'state', state: this.state() });
        return;
      case 'confirm': {
        const at = new Date().toISOString();
        this.send({ type: 'event', event: { seq: ++this.seq, sessionId: frame.sessionId, at, kind: 'completed', statuscode: 4, startedon: at, completedon: at } });
        this.busy = Math.max(0, this.busy - 1);
        this.send({ type: 'state', state: this.state() });
        return;
      }
      default:
    }
  }

  private state(): AgentState {
    return { capacity: 1, freeSlots: this.busy > 0 ? 0 : 1, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true };
  }

  private send(frame: AgentFrame): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
}
