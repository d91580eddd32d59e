import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { callApi, type ApiResponse } from '../../support/orchestrator-harness.js';
import { FixtureChild } from './fixture-child.js';

const ORCHESTRATOR_CHILD = fileURLToPath(new URL('../fixtures/orchestrator-child.ts', import.meta.url));

export interface OrchestratorProcessOptions {
  readonly dataDir: string;
  readonly adminToken: string;
  readonly heartbeatIntervalMs?: number;
  readonly logFile?: string;
}

/** The real orchestrator in a child process; restarts keep its data dir and port. */
export class OrchestratorProcess {
  private readonly child = new FixtureChild({ script: ORCHESTRATOR_CHILD, what: 'orchestrator' });
  private port = 0;
  url = '';

  constructor(private readonly options: OrchestratorProcessOptions) {}

  get kills(): number {
    return this.child.kills;
  }

  async start(): Promise<void> {
    const child = this.child.spawn({ ...this.options, port: this.port });
    const stderr: string[] = [];
    child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
    const url = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('listening ') && resolve(l.slice(10)))),
      this.child.exited.then(() => Promise.reject(new Error(`orchestrator exited before listening: ${stderr.join('')}`))),
    ]);
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  kill9(): Promise<void> {
    return this.child.kill9();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  /** One Web API call with the admin token on a fresh connection (restarts never meet a stale socket). */
  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return callApi(this.url, this.options.adminToken, method, path, body, headers);
  }
}
