import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ORCHESTRATOR_CHILD = fileURLToPath(new URL('../fixtures/orchestrator-child.ts', import.meta.url));

export interface OrchestratorProcessOptions {
  readonly dataDir: string;
  readonly adminToken: string;
  readonly heartbeatIntervalMs?: number;
  readonly logFile?: string;
}

export interface ApiReply {
  readonly status: number;
  readonly json: any;
  readonly text: string;
}

/** The real orchestrator in a child process; restarts keep its data dir and port. */
export class OrchestratorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private port = 0;
  url = '';
  kills = 0;

  constructor(private readonly options: OrchestratorProcessOptions) {}

  async start(): Promise<void> {
    if (this.child) throw new Error('orchestrator process already running');
    const child = spawn(process.execPath, ['--import', 'tsx', ORCHESTRATOR_CHILD, JSON.stringify({ ...this.options, port: this.port })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = once(child, 'exit');
    const stderr: string[] = [];
    child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
    const url = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('listening ') && resolve(l.slice(10)))),
      this.exited.then(() => Promise.reject(new Error(`orchestrator exited before listening: ${stderr.join('')}`))),
    ]);
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
    this.kills += 1;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** One Web API call with the admin token on a fresh connection (restarts never meet a stale socket). */
  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
    const target = path.startsWith('/') ? `${this.url}${path}` : `${this.url}/api/data/v9.2/${path}`;
    const h: Record<string, string> = { authorization: `Bearer ${this.options.adminToken}`, accept: 'application/json', ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return httpCall(target.replace(/ /g, '%20').replace(/'/g, '%27'), method, h, payload);
  }
}

export function httpCall(target: string, method: string, headers: Record<string, string>, body?: string): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
