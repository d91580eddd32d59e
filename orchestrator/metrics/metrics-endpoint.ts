import type { FastifyInstance } from 'fastify';
import { METRICS_PATH, metricsAuthorized } from '../../node-shared/metrics.js';
import { ApiError } from '../api/api-error.js';
import { sendError } from '../api/reply.js';
import type { OrchestratorMetrics } from './orchestrator-metrics.js';

export interface MetricsEndpointOptions {
  readonly metrics: OrchestratorMetrics;
  /** Tokens a scraper may present: the read-only metrics token and the admin token. */
  readonly tokens: readonly string[];
}

const unauthorized = () =>
  new ApiError(401, 'Unauthorized', "missing or wrong 'Authorization: Bearer <metrics token>' header", { 'www-authenticate': 'Bearer' });

/**
 * `GET /metrics` (Prometheus text format) behind the metrics or admin token, and the response hook that times every
 * request. Register before the gateway and the API: a hook reaches only the routes registered after it.
 */
export function registerMetricsEndpoint(app: FastifyInstance, o: MetricsEndpointOptions): void {
  app.addHook('onResponse', async (request, reply) => {
    o.metrics.responded(request.method, request.routeOptions.url, request.url, reply.statusCode, reply.elapsedTime);
  });
  app.get(METRICS_PATH, async (request, reply) => {
    if (!metricsAuthorized(request.headers.authorization, o.tokens)) return sendError(reply, unauthorized());
    const { contentType, body } = await o.metrics.exposition();
    return reply.code(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}
