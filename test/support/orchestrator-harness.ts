import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from '../../orchestrator/index.js';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  readonly json: any;
  readonly text: string;
}

export interface TestOrchestratorOptions extends Partial<Omit<OrchestratorOptions, 'dataDir' | 'port' | 'host'>> {
  /** Keep this data dir (e.g. a second orchestrator on the same data); a temp dir otherwise. */
  readonly dataDir?: string;
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
  /** Stops and removes the data dir (unless it was given). */
  close(): Promise<void>;
}

/** Starts the real orchestrator (`startOrchestrator`) on 127.0.0.1, port 0, in a fresh temp data dir. */
export async function startTestOrchestrator(opts: TestOrchestratorOptions = {}): Promise<TestOrchestrator> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flowhost-orch-'));
  const options: OrchestratorOptions = {
    logger: winston.createLogger({ silent: true }),
    adminToken: 'test-admin-token-0123456789',
    gateway: { queueTickMs: 20 },
    ...opts,
    dataDir,
    host: '127.0.0.1',
    port: 0,
  };
  let running = await startOrchestrator(options);
  let port = running.port;
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
    api: (method, path, body, headers) => callApi(running.url, running.adminToken, method, path, body, headers),
    async restart() {
      await running.close();
      running = await startOrchestrator({ ...options, port });
      port = running.port;
    },
    async close() {
      await running.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

async function callApi(url: string, token: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const target = path.startsWith('/') ? `${url}${path}` : `${url}/api/data/v9.2/${path}`;
  const h: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) h['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(headers)) {
    if (v === '') delete h[k.toLowerCase()];
    else h[k.toLowerCase()] = v;
  }
  const res = await fetch(target, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text === '' ? undefined : text;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON ($count, $metadata): keep the text
  }
  return { status: res.status, headers: res.headers, json, text };
}
