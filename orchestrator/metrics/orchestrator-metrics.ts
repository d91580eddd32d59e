import { Counter, Histogram, type Gauge, type Registry } from 'prom-client';
import { exposition, METRICS_PREFIX, newMetricsRegistry, scrapedGauge } from '../../node-shared/metrics.js';
import { SessionStatus } from '../../shared/option-sets.js';
import type { BackgroundStats } from '../context.js';
import type { GatewayStats } from '../gateway/index.js';
import { isGroupPartition, machineOfPartition } from '../queue/partitions.js';
import type { QueueObserver } from '../queue/queue-observer.js';
import { SerialLane } from '../serial-lane.js';
import { methodLabel, routeLabel } from './api-route.js';

/** Where the scrape-time figures come from; set once the gateway and the API exist (`watch`). */
export interface OrchestratorMetricSources {
  readonly gateway: () => Promise<GatewayStats>;
  readonly bulk: () => BackgroundStats;
  readonly now: () => Date;
}

const name = (n: string) => `${METRICS_PREFIX}${n}`;
const statusName = (statuscode: number): string => SessionStatus.labels.get(statuscode) ?? 'Unknown';
/** Statuses a session holds before it ends; each is shown, at 0 when none. */
const OPEN_STATUSES = [SessionStatus.v.Waiting, SessionStatus.v.Running, SessionStatus.v.Paused] as const;

/** A queue partition as a `group` label: the group's id, `machine:<id>` for a machine without a group, or `none`. */
export function groupLabel(partition: string): string {
  if (isGroupPartition(partition)) return partition;
  const machine = machineOfPartition(partition);
  return machine === undefined ? 'none' : `machine:${machine}`;
}

/**
 * The orchestrator's metrics. Counters and histograms are fed as things happen (the queue's observer, the API's
 * response hook); gauges are computed when scraped, from the memory of the queue, the gateway and the background
 * runners (see docs/metrics.md for what each costs).
 */
export class OrchestratorMetrics implements QueueObserver {
  readonly registry: Registry = newMetricsRegistry('orchestrator');
  private sources: OrchestratorMetricSources | undefined;
  /** The gateway's figures of the scrape under way (`exposition`): one read shared by every gauge. */
  private scraped: GatewayStats | undefined;
  /** The scrape under way: the next one starts after it (`scraped` is one scrape's). */
  private readonly scrapes = new SerialLane();

  private readonly endedTotal = new Counter({ name: name('sessions_ended_total'), help: 'Sessions that reached a terminal status since the orchestrator started, by status.', labelNames: ['status'], registers: [this.registry] });
  private readonly wait = new Histogram({
    name: name('session_wait_seconds'),
    help: 'Time from a session becoming eligible (created, or its scheduled time) to a machine confirming it.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });
  private readonly dispatch = new Histogram({
    name: name('session_dispatch_seconds'),
    help: "Time from the orchestrator's offer of a session to the machine's accept being recorded.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly api = new Histogram({
    name: name('api_request_duration_seconds'),
    help: 'HTTP requests served (Web API, agent registration and workflow fetch, metrics), by method, route and status code.',
    labelNames: ['method', 'route', 'code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    this.gauge('sessions', 'Sessions not yet ended, by status (Waiting includes those offered or confirmed to a machine that has not started them).', ['status'], (g, s) => {
      const waiting = s.queue.lines.reduce((sum, l) => sum + l.waiting + l.scheduled, 0) + s.queue.offered;
      for (const status of OPEN_STATUSES) g.set({ status: statusName(status) }, (s.queue.held.get(status) ?? 0) + (status === SessionStatus.v.Waiting ? waiting : 0));
    });
    this.gauge('queue_depth', 'Sessions waiting for a machine now, by machine group (queue partition).', ['group'], (g, s) => {
      for (const l of s.queue.lines) g.set({ group: groupLabel(l.partition) }, l.waiting);
    });
    this.gauge('queue_scheduled', 'Sessions in the queue whose scheduled time is still ahead, by machine group.', ['group'], (g, s) => {
      for (const l of s.queue.lines) g.set({ group: groupLabel(l.partition) }, l.scheduled);
    });
    this.gauge('queue_oldest_wait_seconds', 'How long the longest-waiting session of a machine group has waited for a machine (0 when none waits).', ['group'], (g, s, now) => {
      for (const l of s.queue.lines) g.set({ group: groupLabel(l.partition) }, l.oldestEligibleMs === undefined ? 0 : Math.max(0, now - l.oldestEligibleMs) / 1000);
    });
    this.gauge('queue_offers', 'Sessions offered to a machine that has not answered yet.', [], (g, s) => g.set(s.queue.offered));
    this.gauge('agents_connected', 'Machines connected to the gateway now.', [], (g, s) => g.set(s.agents.connected));
    this.gauge('agent_slots', 'Session slots of the connected machines, as they last reported them: all of them (capacity) and the free ones.', ['state'], (g, s) => {
      g.set({ state: 'capacity' }, s.agents.capacity);
      g.set({ state: 'free' }, s.agents.freeSlots);
    });
    this.gauge('callback_backlog', 'Completion callbacks the orchestrator has not delivered yet (waiting for an attempt or being sent).', [], (g, s) => g.set(s.callbacks.pending));
    const background = (sources: OrchestratorMetricSources, s: GatewayStats): [string, BackgroundStats][] => [
      ['bulk', sources.bulk()],
      ['callback', s.callbacks],
    ];
    this.gauge('background_operations', 'Background operations not completed (state Ready or Locked), by kind: respond-async bulk writes and callback deliveries.', ['kind'], (g, s, _now, sources) => {
      for (const [kind, stats] of background(sources, s)) g.set({ kind }, stats.pending);
    });
    const completed: Counter<'kind' | 'status'> = new Counter({
      name: name('background_operations_completed_total'),
      help: 'Background operations completed since the orchestrator started, by kind and outcome.',
      labelNames: ['kind', 'status'],
      registers: [this.registry],
      // Mirrors the runners' own counts: they count as they complete, the scrape copies the totals.
      collect: () => {
        completed.reset();
        const sources = this.sources;
        const s = this.scraped;
        if (!sources || !s) return;
        for (const [kind, stats] of background(sources, s)) {
          completed.inc({ kind, status: 'Succeeded' }, stats.succeeded);
          completed.inc({ kind, status: 'Failed' }, stats.failed);
        }
      },
    });
  }

  /** Starts answering the scrape-time gauges from these sources. */
  watch(sources: OrchestratorMetricSources): void {
    this.sources = sources;
  }

  confirmed(waitMs: number, dispatchMs: number): void {
    this.wait.observe(waitMs / 1000);
    this.dispatch.observe(dispatchMs / 1000);
  }

  ended(statuscode: number): void {
    this.endedTotal.inc({ status: statusName(statuscode) });
  }

  /** One HTTP response: `pattern` is the route fastify matched (undefined when none did). */
  responded(method: string, pattern: string | undefined, url: string, statusCode: number, ms: number): void {
    this.api.observe({ method: methodLabel(method), route: routeLabel(pattern, url, statusCode), code: String(statusCode) }, ms / 1000);
  }

  /**
   * The text exposition: the gateway's figures are read once, then every metric is collected. Scrapes take turns,
   * each with its own figures.
   */
  exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    return this.scrapes.run(async () => {
      this.scraped = await this.sources?.gateway();
      try {
        return await exposition(this.registry);
      } finally {
        this.scraped = undefined;
      }
    });
  }

  private gauge<L extends string>(suffix: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: GatewayStats, nowMs: number, sources: OrchestratorMetricSources) => void): void {
    scrapedGauge(this.registry, { name: name(suffix), help, labelNames }, (g) => {
      const sources = this.sources;
      if (sources && this.scraped) fill(g, this.scraped, sources.now().getTime(), sources);
    });
  }
}
