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
 * Maps an agent's wall-clock timestamps onto the orchestrator's clock. The offset (orchestrator − agent) is taken
 * once per connection from the `agentTime` of its hello; it is off by the hello's one-way network delay at most,
 * which is far below the skew it corrects (minutes). An agent that sends no `agentTime` is taken at its word.
 */
export class AgentClock {
  static readonly identity = new AgentClock(0);

  private constructor(readonly offsetMs: number) {}

  static fromHello(agentTime: string | undefined, now: Date): AgentClock {
    const at = agentTime === undefined ? NaN : Date.parse(agentTime);
    const offsetMs = now.getTime() - at;
    return Number.isNaN(at) || Math.abs(offsetMs) < NEGLIGIBLE_SKEW_MS ? AgentClock.identity : new AgentClock(offsetMs);
  }

  /** One agent timestamp on the orchestrator's clock (unparseable values are kept as they are). */
  map(iso: string): string {
    if (this.offsetMs === 0) return iso;
    const at = Date.parse(iso) + this.offsetMs;
    // A hostile or broken agent clock must not produce dates outside 1970..9999 (not valid ISO date-times).
    return Number.isNaN(at) || at < 0 || at > MAX_ISO_MS ? iso : new Date(at).toISOString();
  }

  /** The event with every wall-clock timestamp it carries mapped; durations (monotonic) are left alone. */
  mapEvent(e: SessionEvent): SessionEvent {
    if (this.offsetMs === 0) return e;
    const at = this.map(e.at);
    switch (e.kind) {
      case 'started':
        return { ...e, at, startedon: this.map(e.startedon) };
      case 'log':
        return { ...e, at, lines: e.lines.map((l) => ({ ...l, at: this.map(l.at) })) };
      case 'sample':
        return { ...e, at, samples: e.samples.map((s) => ({ ...s, at: this.map(s.at) })) };
      case 'completed':
        return { ...e, at, completedon: this.map(e.completedon), ...(e.startedon === undefined ? {} : { startedon: this.map(e.startedon) }) };
      case 'local-session':
        return { ...e, at, createdon: this.map(e.createdon) };
      default:
        return { ...e, at };
    }
  }
}
