import type { Gauge, Registry } from 'prom-client';
import { exposition, METRICS_PREFIX, newMetricsRegistry, scrapedGauge } from '../../../node-shared/metrics.js';
import type { Sample, SessionEvent } from '../../../shared/protocol.js';
import type { AgentSessionView, AgentSnapshot } from '../agent-state.js';

/** The store reads the agent's metrics need beyond its snapshot (main/agent/store/agent-store.ts fits it). */
export interface AgentMetricsStore {
  lastAckedSeq(): number;
  eventsAfter(seq: number, limit: number): SessionEvent[];
  recentSamples(sessionId: string, limit: number): Sample[];
}

export interface AgentMetricsOptions {
  readonly agent: { state(): AgentSnapshot };
  readonly store: AgentMetricsStore;
  readonly now?: () => Date;
}

const name = (n: string) => `${METRICS_PREFIX}agent_${n}`;
/** Stages a session passes through on the agent before it completes; each is shown, at 0 when none. */
const STAGES: readonly AgentSessionView['stage'][] = ['accepted', 'confirmed', 'running', 'paused'];
/** A flow's name as a label value: long names are cut (the session id is the key). */
const flowLabel = (flow: string) => flow.slice(0, 128);
const MB = 1024 * 1024;

/** The newest CPU/RAM sample of a session: one not yet stored, else the last stored one. */
function newestSample(s: AgentSessionView, store: AgentMetricsStore): Sample | undefined {
  return s.live?.at(-1) ?? store.recentSamples(s.sessionId, 1).at(-1);
}

/**
 * The agent's metrics, for its status endpoint's `GET /metrics`. Every figure is read at scrape time: the agent's
 * snapshot (what the status window shows: sessions, slots, outbox and callback counts), plus the oldest unacked
 * event (replay lag) and each running session's newest sample (one indexed read each, bounded by the capacity).
 */
export class AgentMetrics {
  readonly registry: Registry = newMetricsRegistry('agent');
  private scraped: AgentSnapshot | undefined;

  constructor(private readonly o: AgentMetricsOptions) {
    this.gauge('sessions', 'Sessions this agent holds that have not completed, by stage.', ['stage'], (g, s) => {
      for (const stage of STAGES) g.set({ stage }, s.sessions.filter((x) => x.stage === stage).length);
    });
    this.gauge('slots', "The agent's session slots: all of them (capacity) and the free ones.", ['state'], (g, s) => {
      g.set({ state: 'capacity' }, s.scheduling.capacity);
      g.set({ state: 'free' }, s.scheduling.freeSlots);
    });
    this.gauge('connected', '1 while the agent is connected to its orchestrator.', [], (g, s) => g.set(s.connection.status === 'connected' ? 1 : 0));
    this.gauge('paused', '1 while the agent takes no new sessions (paused or draining).', [], (g, s) => g.set(s.scheduling.paused || s.scheduling.draining ? 1 : 0));
    this.gauge('outbox_events', 'Events (state changes, log lines, samples) stored and not yet acknowledged by the orchestrator.', [], (g, s) => g.set(s.backlog.events));
    this.gauge('callback_backlog', 'Completion callbacks stored and not yet delivered.', [], (g, s) => g.set(s.backlog.callbacks));
    this.gauge('replay_lag_seconds', 'Age of the oldest event not yet acknowledged by the orchestrator (0 when none waits).', [], (g) => g.set(this.replayLagSeconds()));
    const running = (s: AgentSnapshot) => s.sessions.filter((x) => x.stage === 'running' || x.stage === 'paused');
    this.gauge('session_cpu_percent', "CPU of a running session's processes, % of one core, from its newest sample.", ['session', 'flow'], (g, s) => {
      for (const session of running(s)) {
        const cpu = newestSample(session, this.o.store)?.processCpuPercent;
        if (cpu !== undefined) g.set({ session: session.sessionId, flow: flowLabel(session.name) }, cpu);
      }
    });
    this.gauge('session_memory_bytes', "Resident memory of a running session's processes, from its newest sample.", ['session', 'flow'], (g, s) => {
      for (const session of running(s)) {
        const rss = newestSample(session, this.o.store)?.processRssMb;
        if (rss !== undefined) g.set({ session: session.sessionId, flow: flowLabel(session.name) }, Math.round(rss * MB));
      }
    });
  }

  /** The text exposition: the agent's snapshot is taken once, then every metric is collected. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    this.scraped = this.o.agent.state();
    try {
      return await exposition(this.registry);
    } finally {
      this.scraped = undefined;
    }
  }

  private replayLagSeconds(): number {
    const oldest = this.o.store.eventsAfter(this.o.store.lastAckedSeq(), 1)[0];
    const at = oldest ? Date.parse(oldest.at) : NaN;
    return Number.isFinite(at) ? Math.max(0, this.now() - at) / 1000 : 0;
  }

  private now(): number {
    return (this.o.now?.() ?? new Date()).getTime();
  }

  private gauge<L extends string>(suffix: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: AgentSnapshot) => void): void {
    scrapedGauge(this.registry, { name: name(suffix), help, labelNames }, (g) => fill(g, this.scraped ?? this.o.agent.state()));
  }
}
