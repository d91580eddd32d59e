import { WebSocket } from 'ws';
import { decodeOrchestratorFrame, encodeFrame } from '../../shared/protocol-codec.js';
import { AGENT_FEATURES_HEADER, ORCHESTRATOR_FEATURES_HEADER, parseFeatureHeader } from '../../shared/protocol-features.js';
import {
  AGENT_REGISTER_PATH,
  AGENT_WS_PATH,
  PROTOCOL_VERSION,
  type AgentFrame,
  type AgentState,
  type OrchestratorFrame,
  type RegisterRequest,
  type RegisterResponse,
  type SessionEvent,
} from '../../shared/protocol.js';

/**
 * A scripted agent that speaks the protocol of shared/protocol.ts over a real WebSocket. Tests drive it
 * frame by frame: `hello()`, `next('assign')`, `send({type:'accept', …})`, `event(…)`, `closed`.
 */

export type FrameOf<T extends OrchestratorFrame['type']> = Extract<OrchestratorFrame, { type: T }>;

export const wsUrl = (baseUrl: string): string => `${baseUrl.replace(/^http/, 'ws')}${AGENT_WS_PATH}`;

export function agentState(overrides: Partial<AgentState> = {}): AgentState {
  return { capacity: 1, freeSlots: 1, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true, ...overrides };
}

export async function registerMachine(baseUrl: string, body: RegisterRequest): Promise<RegisterResponse> {
  const res = await fetch(`${baseUrl}${AGENT_REGISTER_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as RegisterResponse;
}

/** Tries an upgrade that should be refused; resolves with the HTTP status the server answered. */
export function refusedUpgradeStatus(baseUrl: string, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(baseUrl), { headers: authorization ? { authorization } : {} });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => undefined);
  });
}

export interface FakeAgentOptions {
  readonly baseUrl: string;
  readonly machineId: string;
  readonly credential: string;
  /** Answer pings (default true); false simulates a dead peer. */
  readonly autoPong?: boolean;
  /** Listed in the upgrade's features header (AGENT_FEATURES_HEADER); none (an agent older than the header) by default. */
  readonly features?: readonly string[];
}

export class FakeAgent {
  /** Every frame received, in order (also the ones consumed by `next`). */
  readonly received: OrchestratorFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly unread: OrchestratorFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  /** What the orchestrator announced in its upgrade response (ORCHESTRATOR_FEATURES_HEADER). */
  announced: ReadonlySet<string> = new Set();

  private constructor(
    readonly ws: WebSocket,
    readonly machineId: string,
  ) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const decoded = decodeOrchestratorFrame(data.toString());
      if (!decoded.ok) throw new Error(`orchestrator sent an invalid frame: ${decoded.error}`);
      this.received.push(decoded.frame);
      this.unread.push(decoded.frame);
      for (const w of [...this.waiters]) w();
    });
  }

  static connect(o: FakeAgentOptions): Promise<FakeAgent> {
    return new Promise((resolve, reject) => {
      const features = o.features?.length ? { [AGENT_FEATURES_HEADER]: o.features.join(', ') } : {};
      const ws = new WebSocket(wsUrl(o.baseUrl), { headers: { authorization: `Bearer ${o.machineId}.${o.credential}`, ...features }, autoPong: o.autoPong ?? true });
      const agent = new FakeAgent(ws, o.machineId);
      ws.once('upgrade', (res) => (agent.announced = parseFeatureHeader(res.headers[ORCHESTRATOR_FEATURES_HEADER.toLowerCase()])));
      ws.once('open', () => resolve(agent));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.on('error', (err) => reject(err));
    });
  }

  send(frame: AgentFrame): void {
    this.ws.send(encodeFrame(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends hello and waits for welcome. */
  async hello(
    opts: { state?: Partial<AgentState>; activeSessions?: string[]; lastAckedSeq?: number; lastSeq?: number; protocol?: number; agentTime?: string; features?: string[] } = {},
  ): Promise<FrameOf<'welcome'>> {
    this.send({
      type: 'hello',
      protocol: opts.protocol ?? PROTOCOL_VERSION,
      agentVersion: '0.0.0-fake',
      os: 'linux',
      lastAckedSeq: opts.lastAckedSeq ?? 0,
      ...(opts.lastSeq === undefined ? {} : { lastSeq: opts.lastSeq }),
      ...(opts.agentTime === undefined ? {} : { agentTime: opts.agentTime }),
      ...(opts.features === undefined ? {} : { features: opts.features }),
      state: agentState(opts.state),
      activeSessions: opts.activeSessions ?? [],
    });
    const welcome = await this.next('welcome');
    this.seq = Math.max(this.seq, welcome.appliedUpTo);
    return welcome;
  }

  state(state: Partial<AgentState>): void {
    this.send({ type: 'state', state: agentState(state) });
  }

  /** Sends an event with the next seq (or the given one); returns the seq used. */
  event(event: DistributiveOmit<SessionEvent, 'seq' | 'at'> & { seq?: number }): number {
    const seq = event.seq ?? ++this.seq;
    this.seq = Math.max(this.seq, seq);
    this.send({ type: 'event', event: { at: new Date().toISOString(), ...event, seq } as SessionEvent });
    return seq;
  }

  /** Waits for the next unread frame of `type` (frames of other types stay unread). */
  next<T extends OrchestratorFrame['type']>(type: T, timeoutMs = 5000): Promise<FrameOf<T>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.unread.findIndex((f) => f.type === type);
        if (i < 0) return false;
        const [frame] = this.unread.splice(i, 1);
        finish();
        resolve(frame as FrameOf<T>);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${type} frame within ${timeoutMs} ms (unread: ${this.unread.map((f) => f.type).join(', ') || 'none'})`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (check()) return;
      this.waiters.add(waiter);
    });
  }

  /** Waits for an ack covering `seq`. */
  async acked(seq: number, timeoutMs = 5000): Promise<void> {
    for (;;) {
      const ack = await this.next('ack', timeoutMs);
      if (ack.upTo >= seq) return;
    }
  }

  /** Frames received and not consumed by `next`. */
  unreadTypes(): string[] {
    return this.unread.map((f) => f.type);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000, 'bye');
    return this.closed;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
