import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from '../../orchestrator/index.js';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc and assert their shape
  readonly json: any;
  readonly text: string;
}

export interface TestOrchestratorOptions extends Partial<Omit<OrchestratorOptions, 'dataDir' | 'port' | 'host'>> {
  /** Keep this data dir (e.g. a second orchestrator on the same data); a temp dir otherwise. */
  readonly dataDir?: string;
  /** With `tls`: the CA (PEM) `api` trusts for the orchestrator's certificate. */
  readonly trustCa?: string;
}

export interface TestOrchestrator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly running: RunningOrchestrator;
  /**
   * Calls the Web API with the admin token. `path` is relative to `/api/data/v9.2/` unless it starts with `/`.
   * A string body is sent as is; anything else as JSON. Headers override the defaults (pass
   * `authorization: ''` to send none).
   */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Stops and starts again on the same data dir and port. */
  restart(): Promise<void>;
  /** Stops and removes the data dir (unless it was given); a second call waits for the first. */
  close(): Promise<void>;
}

/** Starts the real orchestrator (`startOrchestrator`) on 127.0.0.1, port 0, in a fresh temp data dir. */
export async function startTestOrchestrator(opts: TestOrchestratorOptions = {}): Promise<TestOrchestrator> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flowhost-orch-'));
  const { trustCa, ...given } = opts;
  const options: OrchestratorOptions = {
    logger: winston.createLogger({ silent: true }),
    adminToken: 'test-admin-token-0123456789',
    gateway: { queueTickMs: 20 },
    ...given,
    dataDir,
    host: '127.0.0.1',
    port: 0,
  };
  let running = await startOrchestrator(options);
  let port = running.port;
  let closed: Promise<void> | undefined;
  const harness: TestOrchestrator = {
    get url() {
      return running.url;
    },
    get token() {
      return running.adminToken;
    },
    get running() {
      return running;
    },
    dataDir,
    api: (method, path, body, headers) => callApi(running.url, running.adminToken, method, path, body, headers, trustCa),
    async restart() {
      await running.close();
      running = await startOrchestrator({ ...options, port });
      port = running.port;
    },
    close() {
      closed ??= (async () => {
        await running.close();
        if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
  return harness;
}

/**
 * One request on a fresh connection (node:http(s), no keep-alive pool), so a restarted server never meets a stale
 * socket; an https target is trusted with `ca` (PEM).
 */
export function requestOnFreshConnection(
  target: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  ca?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const request = target.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(target, { method, headers, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) value.forEach((v) => h.append(name, v));
          else if (value !== undefined) h.set(name, value);
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One Web API call with `token` on a fresh connection; `path` is relative to `/api/data/v9.2/` unless it starts
 * with `/`. The `api` of TestOrchestrator and of the orchestrator run as a child process (test/reliability).
 */
export async function callApi(url: string, token: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}, ca?: string): Promise<ApiResponse> {
  const target = path.startsWith('/') ? `${url}${path}` : `${url}/api/data/v9.2/${path}`;
  const h: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) h['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(headers)) {
    if (v === '') delete h[k.toLowerCase()];
    else h[k.toLowerCase()] = v;
  }
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  // Percent-encode only what may not appear raw in a URL (spaces, quotes …); existing escapes stay as they are.
  const res = await requestOnFreshConnection(target.replace(/[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/g, encodeURIComponent), method, h, payload, ca);
  let json: unknown = res.text === '' ? undefined : res.text;
  try {
    json = res.text === '' ? undefined : JSON.parse(res.text);
  } catch {
    // not JSON ($count, $metadata): keep the text
  }
  return { status: res.status, headers: res.headers, json, text: res.text };
}
