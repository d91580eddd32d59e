import { SessionStatus } from '../../../shared/option-sets.js';
import type { LogLine, Sample } from '../../../shared/protocol.js';
import {
  MAX_STATUS_SCREENSHOT_BYTES,
  statusCommands,
  type ActiveSessionStatus,
  type RecentSessionStatus,
  type ScreenshotInfo,
  type SessionScreenshot,
  type StatusCommand,
  type StatusReply,
  type StatusRequest,
  type StatusResult,
  type StatusSnapshot,
} from '../../../shared/status.js';
import { ValidationError, validator } from '../../../shared/validate.js';
import type { AgentSnapshot, SnapshotListener } from '../agent-state.js';
import type { LocalSession } from '../store/agent-store.js';
import type { DisplayRecords } from '../store/display-records.js';

/** What the status producer needs of the Agent (main/agent/agent.ts fits it). */
export interface StatusAgent {
  state(): AgentSnapshot;
  onStateChange(listener: SnapshotListener): () => void;
  pause(until?: Date): void;
  resume(): void;
  setAttendedMode(on: boolean): void;
}

/** Read-only queries of the agent's store (main/agent/store/agent-store.ts fits it). */
export interface StatusStoreReader {
  recentSessions(limit: number, stage?: 'completed'): LocalSession[];
  logTail(sessionId: string, limit: number): LogLine[];
  recentSamples(sessionId: string, limit: number): Sample[];
  /** A session of this machine (the store holds no other machine's). */
  getSession(sessionId: string): LocalSession | undefined;
  readonly displays: Pick<DisplayRecords, 'screenshot' | 'screenshotInfo'>;
}

/** The ends of a run for which the agent takes a picture of its display (docs/desktop.md, "Screenshots"). */
const PICTURED_STATUSES: ReadonlySet<number> = new Set([SessionStatus.v.Failed, SessionStatus.v.TimedOut, SessionStatus.v.Cancelled]);

export interface StatusProducerOptions {
  readonly agent: StatusAgent;
  readonly store: StatusStoreReader;
  readonly now?: () => Date;
  /** How many recent sessions the window lists (default 20). */
  readonly recentLimit?: number;
  /** Samples per running session for its sparklines (default 60). */
  readonly sampleLimit?: number;
  /** Log lines of a tail when the window asks for no number (default 200). */
  readonly logTailLimit?: number;
  /** At most one pushed snapshot per this interval; the last change always gets one (default 200 ms). */
  readonly minIntervalMs?: number;
}

export type StatusListener = (snapshot: StatusSnapshot) => void;

type Handlers = { [C in StatusCommand]: (request: StatusRequest<C>) => StatusReply<C> };

/**
 * The status window's data, for both transports: maps the Agent's snapshot plus store reads (recent sessions,
 * samples, log tails) to shared/status.ts, runs the window's commands after validating them with the shared
 * schemas, and fans one snapshot per agent change out to every listener.
 */
export class StatusProducer {
  private readonly listeners = new Set<StatusListener>();
  private unsubscribeAgent: (() => void) | undefined;
  private readonly handlers: Handlers;
  private lastPublished = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StatusProducerOptions) {
    this.handlers = {
      'status:get': () => this.snapshot(),
      'session:log-tail': ({ sessionId, limit }) => ({ sessionId, lines: options.store.logTail(sessionId, limit ?? options.logTailLimit ?? 200) }),
      'session:screenshot': ({ sessionId }) => this.screenshot(sessionId),
      'agent:pause': ({ minutes }) => {
        options.agent.pause(minutes === undefined ? undefined : new Date(this.now().getTime() + minutes * 60_000));
        return this.snapshot();
      },
      'agent:resume': () => {
        options.agent.resume();
        return this.snapshot();
      },
      'attended:set': ({ on }) => {
        options.agent.setAttendedMode(on);
        return this.snapshot();
      },
    };
  }

  snapshot(): StatusSnapshot {
    const { agent, store } = this.options;
    return toStatusSnapshot(agent.state(), {
      at: this.now().toISOString(),
      recent: store.recentSessions(this.options.recentLimit ?? 20, 'completed'),
      samplesOf: (id) => store.recentSamples(id, this.options.sampleLimit ?? 60),
      screenshotOf: (id) => store.displays.screenshotInfo(id),
    });
  }

  /** Only a finished session of this machine that ended badly, and only a picture within the window's bound. */
  private screenshot(sessionId: string): SessionScreenshot {
    const session = this.options.store.getSession(sessionId);
    if (!session || session.stage !== 'completed' || !PICTURED_STATUSES.has(session.statuscode)) throw new Error(`no picture for session ${sessionId}`);
    const shot = this.options.store.displays.screenshot(sessionId);
    if (!shot) throw new Error(`no picture for session ${sessionId}`);
    if (shot.png.length > MAX_STATUS_SCREENSHOT_BYTES) throw new Error(`the picture of session ${sessionId} is over ${MAX_STATUS_SCREENSHOT_BYTES} bytes`);
    return { sessionId, takenon: shot.takenon, pngBase64: shot.png.toString('base64') };
  }

  /** Validates `payload` with the command's shared schema, then runs it; every failure comes back as a value. */
  run(channel: string, payload: unknown): StatusResult<StatusCommand> {
    if (!Object.hasOwn(statusCommands, channel)) return { ok: false, error: `unknown command '${channel}'` };
    const command = channel as StatusCommand;
    try {
      return { ok: true, value: this.handle(command, validator(statusCommands[command].request).parse(payload, command)) };
    } catch (err) {
      if (err instanceof ValidationError) return { ok: false, error: err.message };
      return { ok: false, error: `${command} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** Runs a command whose request a caller already validated (the IPC router does); throws what the handler throws. */
  handle<C extends StatusCommand>(command: C, request: unknown): StatusReply<C> {
    return (this.handlers[command] as (request: unknown) => StatusReply<C>)(request);
  }

  /** Calls `listener` with a fresh snapshot after each agent change; returns the unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    this.unsubscribeAgent ??= this.options.agent.onStateChange(() => this.changed());
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribeAgent?.();
    this.unsubscribeAgent = undefined;
    this.listeners.clear();
  }

  /** Bursts of agent changes (log lines, samples) become one snapshot per interval, trailing edge included. */
  private changed(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublished + (this.options.minIntervalMs ?? 200) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastPublished = Date.now();
      this.publish();
    }, wait);
  }

  private publish(): void {
    let snapshot: StatusSnapshot;
    try {
      snapshot = this.snapshot();
    } catch {
      return; // the agent stopped between the change and now; nothing left to show
    }
    for (const listener of [...this.listeners]) listener(snapshot);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** Pure mapping of the agent's snapshot and store rows to the window's snapshot. */
export function toStatusSnapshot(
  agent: AgentSnapshot,
  extra: {
    at: string;
    recent: readonly LocalSession[];
    samplesOf: (sessionId: string) => readonly Sample[];
    screenshotOf?: (sessionId: string) => ScreenshotInfo | undefined;
  },
): StatusSnapshot {
  const { status, orchestratorUrl, error, since } = agent.connection;
  return {
    at: extra.at,
    connection: { status, orchestratorUrl, ...(error === undefined ? {} : { error: error.slice(0, 4096) }), ...(since === undefined ? {} : { since }) },
    machine: { ...agent.machine },
    scheduling: { ...agent.scheduling, sessionUsers: [...agent.scheduling.sessionUsers] },
    attendedMode: agent.attendedMode,
    active: agent.sessions.map(
      (s): ActiveSessionStatus => ({
        sessionId: s.sessionId,
        name: s.name,
        statuscode: s.statuscode,
        acceptedon: s.acceptedon,
        ...(s.startedon === undefined ? {} : { startedon: s.startedon }),
        ...(s.runas === undefined ? {} : { runas: s.runas }),
        samples: withLive(extra.samplesOf(s.sessionId), s.live).map((p) => ({ at: p.at, cpu: p.machineCpuPercent, ramPct: p.machineRamPercent, ramMb: p.machineRamUsedMb })),
      }),
    ),
    recent: extra.recent.map((s) => recentView(s, extra.screenshotOf)),
    backlog: { ...agent.backlog },
  };
}

/** Stored samples come in batches; the live ones (newer than the last stored) are the sparkline's newest points. */
function withLive(stored: readonly Sample[], live: readonly Sample[] = []): readonly Sample[] {
  const last = stored.at(-1);
  const after = last ? Date.parse(last.at) : -Infinity;
  const fresh = live.filter((s) => Date.parse(s.at) > after);
  return fresh.length === 0 ? stored : [...stored, ...fresh];
}

function recentView(s: LocalSession, screenshotOf?: (sessionId: string) => ScreenshotInfo | undefined): RecentSessionStatus {
  const shot = PICTURED_STATUSES.has(s.statuscode) ? screenshotOf?.(s.sessionId) : undefined;
  const duration = s.runexecutionduration ?? durationMs(s.startedon, s.completedon);
  return {
    sessionId: s.sessionId,
    name: s.session.name,
    statuscode: s.statuscode,
    acceptedon: s.acceptedon,
    ...(s.startedon === undefined ? {} : { startedon: s.startedon }),
    ...(s.completedon === undefined ? {} : { completedon: s.completedon }),
    ...(duration === undefined ? {} : { durationMs: duration }),
    ...(s.errorcode === undefined ? {} : { errorcode: s.errorcode.slice(0, 100) }),
    ...(s.errormessage === undefined ? {} : { errormessage: s.errormessage.slice(0, 10_000) }),
    ...(shot && shot.bytes > 0 && shot.bytes <= MAX_STATUS_SCREENSHOT_BYTES ? { screenshot: { takenon: shot.takenon, bytes: shot.bytes } } : {}),
  };
}

function durationMs(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
