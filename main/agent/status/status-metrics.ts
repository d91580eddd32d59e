import type { IncomingMessage, ServerResponse } from 'node:http';
import { metricsAuthorized } from '../../../node-shared/metrics.js';
import { SECURITY_HEADERS, sendJson } from './status-http.js';

/** What the status endpoint needs to serve `GET /metrics`. */
export interface StatusMetrics {
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** Tokens a scraper may present: the read-only metrics token and the status token. */
  readonly tokens: readonly string[];
}

/** `GET /metrics` of the status endpoint (its loopback, Host and Origin checks already passed). */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: StatusMetrics): Promise<void> {
  if (!metricsAuthorized(req.headers.authorization, metrics.tokens)) {
    sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: 'use GET' }, { Allow: 'GET, HEAD' });
    return;
  }
  const { contentType, body } = await metrics.exposition();
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
