import { join } from 'node:path';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { loadOrCreateTokenFile } from './token-file.js';
import { tokensEqual } from './tokens.js';

/** Where both programs serve their metrics (the orchestrator on its API port, the agent on its status endpoint). */
export const METRICS_PATH = '/metrics';
/** The read-only token a scraper presents (`Authorization: Bearer …`), kept in the program's data dir with mode 0600. */
export const METRICS_TOKEN_FILE = 'metrics-token';
/** Every metric of ours starts with it; Node's process metrics keep prom-client's own names (`process_…`, `nodejs_…`). */
export const METRICS_PREFIX = 'flowhost_';

const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The metrics token of the program whose data dir this is, created on first use. */
export function loadOrCreateMetricsToken(dataDir: string): string {
  return loadOrCreateTokenFile(join(dataDir, METRICS_TOKEN_FILE));
}

/**
 * A registry for one program: its own metrics are added by the caller; Node's process metrics (CPU, memory, event
 * loop delay, handles) come from prom-client with a `program` label, so two programs on one host stay apart.
 */
export function newMetricsRegistry(program: 'orchestrator' | 'agent'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  collectDefaultMetrics({ register: registry });
  // Gauges that prom-client names like counters: `promtool check metrics` refuses them; the handle count stays.
  for (const misnamed of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(misnamed);
  return registry;
}

/**
 * Whether a request's `Authorization` header carries one of the accepted tokens (the metrics token, and the program's
 * broader token: the orchestrator's admin token, the agent's status token). Constant time per token.
 */
export function metricsAuthorized(authorization: string | undefined, accepted: readonly string[]): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  let ok = false;
  // Every token is compared, so the time does not tell which one matched.
  for (const token of accepted) ok = tokensEqual(match[1], token) || ok;
  return ok;
}

/**
 * A gauge whose every series is computed when scraped: `fill` sets the current values (series it does not set are
 * gone, so an ended session or an emptied queue line leaves no stale series behind).
 */
export function scrapedGauge<L extends string>(registry: Registry, o: { readonly name: string; readonly help: string; readonly labelNames?: readonly L[] }, fill: (gauge: Gauge<L>) => void): Gauge<L> {
  const gauge: Gauge<L> = new Gauge<L>({
    name: o.name,
    help: o.help,
    labelNames: o.labelNames ?? [],
    registers: [registry],
    collect: () => {
      gauge.reset();
      fill(gauge);
    },
  });
  return gauge;
}

/** The text exposition of a registry (its collect functions run now) and its content type. */
export async function exposition(registry: Registry): Promise<{ readonly contentType: string; readonly body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
