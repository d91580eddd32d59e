import type { SessionEvent } from '../../shared/protocol.js';

const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59.999Z');
/**
 * Offsets smaller than this are taken as no skew. They are within the error of the measurement (the hello's one-way
 * delay and the agent's event-loop lag), they would move every timestamp of a connection by a different amount after
 * each reconnect, and mapping costs a parse and a format per timestamp (a tenth of the orchestrator's work per
 * replayed log event).
 */
export const NEGLIGIBLE_SKEW_MS = 1000;

/**
 * Beyond this offset an agent's wall clock is not trusted at all (a dead RTC battery, a VM restored from an old
 * snapshot, an agent at year 0001): its timestamps are replaced by the time they arrive. Clamped rather than refused,
 * because the machine still runs its work correctly (run times are monotonic, deadlines are the orchestrator's) and a
 * clock that jumps after the hello would pass any check made there.
 */
export const MAX_TRUSTED_SKEW_MS = 24 * 3_600_000;

/**
 * Maps an agent's wall-clock timestamps onto the orchestrator's clock. The offset (orchestrator − agent) is taken
 * once per connection from the `agentTime` of its hello; it is off by the hello's one-way network delay at most,
 * which is far below the skew it corrects (minutes). An agent that sends no `agentTime` is taken at its word.
 * The instants a deadline or a duration is computed from (startedon, completedon, createdon) are never later than
 * the orchestrator's now: a clock that jumps forward after the hello cannot push a run deadline into year 4052.
 */
export class AgentClock {
  static readonly identity = new AgentClock(0, undefined, true);

  private constructor(
    readonly offsetMs: number,
    /** The orchestrator's clock; without it (tests of pure mapping) instants are not clamped. */
    private readonly now: (() => Date) | undefined,
    /** False when the offset is beyond MAX_TRUSTED_SKEW_MS: every timestamp becomes its arrival time. */
    readonly trusted: boolean,
  ) {}

  static fromHello(agentTime: string | undefined, now: Date, clock?: () => Date): AgentClock {
    const at = agentTime === undefined ? NaN : Date.parse(agentTime);
    const offsetMs = now.getTime() - at;
    if (!Number.isNaN(at) && Math.abs(offsetMs) > MAX_TRUSTED_SKEW_MS) return new AgentClock(0, clock ?? (() => new Date()), false);
    const offset = Number.isNaN(at) || Math.abs(offsetMs) < NEGLIGIBLE_SKEW_MS ? 0 : offsetMs;
    return offset === 0 && clock === undefined ? AgentClock.identity : new AgentClock(offset, clock, true);
  }

  /** One agent timestamp on the orchestrator's clock (outside 1970..9999, or from an untrusted clock: its arrival time). */
  map(iso: string): string {
    if (!this.trusted) return this.nowIso();
    if (this.offsetMs === 0) return iso;
    const at = Date.parse(iso) + this.offsetMs;
    // A hostile or broken agent clock must not produce dates outside 1970..9999 (not valid ISO date-times).
    return Number.isNaN(at) || at < 0 || at > MAX_ISO_MS ? (this.now ? this.nowIso() : iso) : new Date(at).toISOString();
  }

  /** An instant a deadline or duration is computed from: mapped, and never later than now. */
  mapInstant(iso: string): string {
    const mapped = this.map(iso);
    if (!this.now) return mapped;
    const now = this.now().getTime();
    const at = Date.parse(mapped);
    return Number.isNaN(at) || at < 0 || at > now + NEGLIGIBLE_SKEW_MS ? new Date(now).toISOString() : mapped;
  }

  private nowIso(): string {
    return (this.now?.() ?? new Date()).toISOString();
  }

  /** The event with every wall-clock timestamp it carries mapped; durations (monotonic) are left alone. */
  mapEvent(e: SessionEvent): SessionEvent {
    if (this === AgentClock.identity) return e;
    const at = this.map(e.at);
    switch (e.kind) {
      case 'started':
        return { ...e, at, startedon: this.mapInstant(e.startedon) };
      case 'log':
        return { ...e, at, lines: e.lines.map((l) => ({ ...l, at: this.map(l.at) })) };
      case 'sample':
        return { ...e, at, samples: e.samples.map((s) => ({ ...s, at: this.map(s.at) })) };
      case 'completed':
        return {
          ...e,
          at,
          completedon: this.mapInstant(e.completedon),
          ...(e.startedon === undefined ? {} : { startedon: this.mapInstant(e.startedon) }),
          ...(e.screenshot === undefined ? {} : { screenshot: { ...e.screenshot, takenon: this.map(e.screenshot.takenon) } }),
        };
      case 'local-session':
        return { ...e, at, createdon: this.mapInstant(e.createdon) };
      default:
        return { ...e, at };
    }
  }
}
