import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HttpLimits } from '../../../orchestrator/server.js';
import { requestOnFreshConnection } from '../../support/orchestrator-harness.js';

export interface ApiReply {
  readonly status: number;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc and assert their shape
  readonly json: any;
  readonly text: string;
}

/** One HTTP request on a fresh connection (no keep-alive pool), its body parsed when it is JSON. */
export async function httpCall(target: string, method: string, headers: Record<string, string>, body?: string): Promise<ApiReply> {
  const { status, text } = await requestOnFreshConnection(target, method, headers, body);
  let json: unknown = text === '' ? undefined : text;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status, json, text };
}

const CHILD = fileURLToPath(new URL('../fixtures/api-orchestrator-child.ts', import.meta.url));

export interface ApiOrchestratorOptions {
  readonly dataDir: string;
  readonly adminToken: string;
  readonly http?: Partial<HttpLimits>;
}

/** The real orchestrator in a child process whose RSS the test can sample (`/proc/<pid>/status`, Linux). */
export class ApiOrchestratorProcess {
  url = '';
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  readonly stderr: string[] = [];

  constructor(private readonly options: ApiOrchestratorOptions) {}

  static async start(options: ApiOrchestratorOptions): Promise<ApiOrchestratorProcess> {
    const p = new ApiOrchestratorProcess(options);
    await p.spawn();
    return p;
  }

  private async spawn(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(this.options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = once(child, 'exit');
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c.toString()));
    this.url = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('listening ') && resolve(l.slice(10)))),
      this.exited.then(() => Promise.reject(new Error(`orchestrator exited before listening: ${this.stderr.join('')}`))),
    ]);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Resident set size of the orchestrator process, in bytes. */
  rss(): number {
    const status = readFileSync(`/proc/${this.child!.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!kb) throw new Error('no VmRSS in /proc/<pid>/status');
    return Number(kb[1]) * 1024;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** One Web API call with the admin token on a fresh connection; `path` relative to /api/data/v9.2/ unless it starts with `/`. */
  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
    const target = path.startsWith('/') ? `${this.url}${path}` : `${this.url}/api/data/v9.2/${path}`;
    const h: Record<string, string> = { authorization: `Bearer ${this.options.adminToken}`, accept: 'application/json' };
    if (body !== undefined) h['content-type'] = 'application/json';
    Object.assign(h, headers);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return httpCall(target.replace(/[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/g, encodeURIComponent), method, h, payload);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
