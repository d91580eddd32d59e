import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HttpLimits, OrchestratorOptions } from '../../orchestrator/server.js';
import { FixtureChild } from './fixture-child.js';
import { callApi, type ApiResponse } from './orchestrator-harness.js';

const ORCHESTRATOR_CHILD = fileURLToPath(new URL('../fixtures/orchestrator-child.ts', import.meta.url));

export interface OrchestratorProcessOptions {
  readonly dataDir: string;
  readonly adminToken: string;
  /** Gateway settings; what is not given stays at production defaults. */
  readonly gateway?: OrchestratorOptions['gateway'];
  readonly http?: Partial<HttpLimits>;
  /** The orchestrator's debug log (JSON lines); errors only, to stderr, otherwise. */
  readonly logFile?: string;
}

/**
 * The real orchestrator in a child process (fixtures/orchestrator-child.ts), for tests that SIGKILL it or read its
 * RSS: restarts keep its data dir and port. The in-process orchestrator is orchestrator-harness.ts.
 */
export class OrchestratorProcess {
  url = '';
  readonly stderr: string[] = [];
  private readonly child = new FixtureChild({ script: ORCHESTRATOR_CHILD, what: 'orchestrator' });
  private lastPort = 0;

  constructor(private readonly options: OrchestratorProcessOptions) {}

  static async start(options: OrchestratorProcessOptions): Promise<OrchestratorProcess> {
    const p = new OrchestratorProcess(options);
    await p.start();
    return p;
  }

  get kills(): number {
    return this.child.kills;
  }

  get port(): number {
    return this.lastPort;
  }

  get alive(): boolean {
    return this.child.pid !== undefined;
  }

  async start(): Promise<void> {
    const child = this.child.spawn({ ...this.options, port: this.lastPort });
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c.toString()));
    this.url = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('listening ') && resolve(l.slice(10)))),
      this.child.exited.then(() => Promise.reject(new Error(`orchestrator exited before listening: ${this.stderr.join('')}`))),
    ]);
    this.lastPort = Number(new URL(this.url).port);
  }

  /** Resident set size of the orchestrator process, in bytes (Linux /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!kb) throw new Error('no VmRSS in /proc/<pid>/status');
    return Number(kb[1]) * 1024;
  }

  kill9(): Promise<void> {
    return this.child.kill9();
  }

  /** SIGTERM (a clean close) and wait for the exit. */
  stop(): Promise<void> {
    return this.child.stop();
  }

  /** One Web API call with the admin token on a fresh connection (restarts never meet a stale socket). */
  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return callApi(this.url, this.options.adminToken, method, path, body, headers);
  }
}
