/**
 * Liveness of one connection. The orchestrator pings; any ping or frame from it proves the link alive.
 * Silence for `timeoutFactor × intervalMs` means a dead link (a dropped TCP link sends no close frame),
 * so the connection is terminated and reconnected. The agent's own heartbeat is its `state` frame,
 * sent every `intervalMs`.
 */
export interface ConnectionHeartbeatOptions {
  /** The orchestrator's heartbeat interval (welcome.heartbeatIntervalMs, or a default before welcome). */
  readonly intervalMs: number;
  /** Silence tolerated, as a multiple of the interval. Default 2.5. */
  readonly timeoutFactor?: number;
  /** Sends the agent's heartbeat (its `state` frame). */
  readonly onBeat: () => void;
  /** The peer was silent too long. */
  readonly onSilence: (silentMs: number) => void;
  readonly now?: () => number;
}

export class ConnectionHeartbeat {
  private intervalMs: number;
  private beatTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private lastHeardAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: ConnectionHeartbeatOptions) {
    this.intervalMs = options.intervalMs;
    this.now = options.now ?? Date.now;
  }

  /** Starts the silence watchdog only (before welcome the agent has nothing to beat with). */
  watch(): void {
    this.touch();
  }

  /** Starts (or restarts with a new interval) the beat and the watchdog. */
  start(intervalMs = this.intervalMs): void {
    this.intervalMs = intervalMs;
    clearInterval(this.beatTimer);
    this.beatTimer = setInterval(() => this.options.onBeat(), intervalMs);
    this.touch();
  }

  /** The peer spoke (ping or frame). */
  touch(): void {
    this.lastHeardAt = this.now();
    clearTimeout(this.silenceTimer);
    const timeoutMs = Math.round(this.intervalMs * (this.options.timeoutFactor ?? 2.5));
    this.silenceTimer = setTimeout(() => {
      this.stop();
      this.options.onSilence(this.now() - this.lastHeardAt);
    }, timeoutMs);
  }

  stop(): void {
    clearInterval(this.beatTimer);
    clearTimeout(this.silenceTimer);
    this.beatTimer = undefined;
    this.silenceTimer = undefined;
  }
}
