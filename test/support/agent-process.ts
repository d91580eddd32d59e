import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentCredentials } from '../../main/agent/agent.js';
import { FixtureChild } from './fixture-child.js';

const AGENT_CHILD = fileURLToPath(new URL('../fixtures/agent-child.ts', import.meta.url));

export interface AgentProcessOptions {
  readonly orchestratorUrl: string;
  readonly credentials: AgentCredentials;
  readonly dataDir: string;
  readonly capacity?: number;
  readonly clockOffsetMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly logFile?: string;
  readonly sessionUsers?: readonly string[];
}

/**
 * The real agent as a child process (fixtures/agent-child.ts) that survives restarts on one data dir: kill9()
 * SIGKILLs it, start() starts the next one. Counts every `event` frame any incarnation put on its socket.
 */
export class AgentProcess {
  /** Seqs of every event frame sent, in send order, over all incarnations (replays repeat a seq). */
  readonly sent: number[] = [];
  connected = false;
  /** Every `connected` / `disconnected <error>` line of every incarnation, in order. */
  readonly connectionEvents: string[] = [];
  readonly stderr: string[] = [];
  /** How each incarnation ended that was not stopped or killed by this wrapper: exit code, or signal name. */
  readonly unexpectedExits: (number | string)[] = [];
  private stopping = false;
  private readonly child = new FixtureChild({ script: AGENT_CHILD, what: 'agent', onExit: () => (this.connected = false) });
  private connectedWaiters: (() => void)[] = [];

  constructor(private readonly options: AgentProcessOptions) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get kills(): number {
    return this.child.kills;
  }

  start(): void {
    const child = this.child.spawn({ capacity: 2, ...this.options });
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.unexpectedExits.push(code ?? signal ?? 'unknown');
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('sent ')) this.sent.push(Number(line.slice(5)));
      else if (line === 'connected') {
        this.connectionEvents.push(line);
        this.connected = true;
        for (const w of this.connectedWaiters.splice(0)) w();
      } else if (line.startsWith('disconnected')) {
        this.connectionEvents.push(line);
        this.connected = false;
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  /** Resolves at the next `connected` line (at once when connected). */
  whenConnected(timeoutMs = 30_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not connect within ${timeoutMs} ms; stderr: ${this.stderr.slice(-5).join(' | ')}`)), timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** SIGKILL and wait for the exit. */
  async kill9(): Promise<void> {
    this.stopping = true;
    await this.child.kill9();
    this.connected = false;
  }

  /** SIGTERM (the agent stops cleanly) and wait for the exit; SIGKILL after 15 s. */
  stop(): Promise<void> {
    this.stopping = true;
    return this.child.stop();
  }

  /** Sent frames: total, distinct seqs, and how many were re-sends of a seq already sent. */
  sentFigures(): { frames: number; distinct: number; resent: number } {
    const distinct = new Set(this.sent).size;
    return { frames: this.sent.length, distinct, resent: this.sent.length - distinct };
  }
}
