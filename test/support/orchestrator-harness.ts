import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { RunMode, SessionState, SessionStatus } from '../../shared/option-sets.js';
import { hashSecret } from '../../orchestrator/auth/secrets.js';
import type { Store } from '../../orchestrator/store/store.js';
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from '../../orchestrator/index.js';
import { FakeAgent, registerMachine } from './fake-agent.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from './postgres.js';

/** A record as the tests seed and read it (the store's typed records fit it). */
type Row = Record<string, unknown>;

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc and assert their shape
  readonly json: any;
  readonly text: string;
}

/** The orchestrator's clock: real time or a time that stands still, either moved on by `advance`. */
export class TestClock {
  private offsetMs = 0;
  private constructor(private readonly base: () => number) {}

  /** Stands at `start` (2030-01-01 by default) until advanced: protocol tests move time by hand. */
  static manual(start = Date.parse('2030-01-01T00:00:00.000Z')): TestClock {
    return new TestClock(() => start);
  }

  /** Real time (what agents in the same test read), plus what `advance` added. */
  static real(): TestClock {
    return new TestClock(Date.now);
  }

  /** Now, in ms since the epoch. */
  get t(): number {
    return this.base() + this.offsetMs;
  }

  readonly now = (): Date => new Date(this.t);

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestOrchestratorOptions extends Partial<Omit<OrchestratorOptions, 'dataDir' | 'port' | 'host' | 'now'>> {
  /** Keep this data dir (e.g. a second orchestrator on the same data); a temp dir otherwise. */
  readonly dataDir?: string;
  /** With `tls`: the CA (PEM) `api` trusts for the orchestrator's certificate. */
  readonly trustCa?: string;
  /** The orchestrator's clock; default `TestClock.real()`. */
  readonly clock?: TestClock;
}

/** The group password of the groups `group()` writes. */
export const SEEDED_GROUP_PASSWORD = 'group-password';

export interface TestOrchestrator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly running: RunningOrchestrator;
  readonly clock: TestClock;
  /** Where its records live (`openStore` opens a second connection to them, as another process would). */
  readonly storeLocation: string;
  /** The running orchestrator's store (protocol tests read and write it directly). */
  readonly store: Store;
  /** The running orchestrator's session queue and machine controls. */
  readonly gateway: RunningOrchestrator['gateway'];
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

  // Seeding by writing the store, for protocol tests that set up what no Web API call makes (or need no API call).
  /** A group with password SEEDED_GROUP_PASSWORD. */
  group(name?: string, opts?: { password?: string; queuing?: number; statecode?: number }): Promise<Row>;
  /** A `command` workflow running `true` unless `extra` says otherwise. */
  workflow(extra?: Row): Promise<Row>;
  /** Inserts a Waiting session and tells the queue, like RunDesktopFlow does (resolves once the queue filed it). */
  session(workflowId: string, values: Row): Promise<string>;
  /** A stored session row (rejects when there is none). */
  get(id: string): Promise<Row>;
  /** Registers a machine into `group` and connects a fake agent (hello not sent yet). */
  machine(group?: string, opts?: { name?: string; capacity?: number; autoPong?: boolean; features?: readonly string[] }): Promise<{ agent: FakeAgent; machineId: string; credential: string }>;
  /** Connects a fake agent with a machine's credential (hello not sent yet). */
  connect(machineId: string, credential: string): Promise<FakeAgent>;
}

/**
 * The store of every test orchestrator of this process: `FLOWHOST_TEST_STORE=postgres` gives each a database of its
 * own on one private PostgreSQL server (test/support/postgres.ts, started on first use, gone with the process), so the
 * orchestrator suites run on PostgreSQL as they do on the default SQLite file (`sqlite`, or unset).
 */
export const TEST_STORE = parseTestStore(process.env['FLOWHOST_TEST_STORE']);

function parseTestStore(value: string | undefined): 'sqlite' | 'postgres' {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new Error(`FLOWHOST_TEST_STORE must be sqlite or postgres, not ${value}`);
}

let testPostgres: Promise<PostgresServer> | undefined;
/** The database made for a data dir: an orchestrator started again on the same data dir finds its records, as on SQLite. */
const databaseOfDataDir = new Map<string, Promise<string>>();

async function testStoreLocation(dataDir: string): Promise<string | undefined> {
  if (TEST_STORE === 'sqlite') return undefined;
  if (!hasPostgres) throw new Error(`FLOWHOST_TEST_STORE=postgres needs ${POSTGRES.what}`);
  testPostgres ??= startPostgres();
  const server = await testPostgres;
  let database = databaseOfDataDir.get(dataDir);
  if (!database) databaseOfDataDir.set(dataDir, (database = server.createDatabase()));
  return server.url(await database);
}

/**
 * Starts the real orchestrator (`startOrchestrator`: store, agent gateway and Web API) on 127.0.0.1, port 0, in a
 * fresh temp data dir, on `opts.clock`.
 */
export async function startTestOrchestrator(opts: TestOrchestratorOptions = {}): Promise<TestOrchestrator> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flowhost-orch-'));
  const { trustCa, clock = TestClock.real(), ...given } = opts;
  const store = given.store ?? (await testStoreLocation(dataDir));
  const options: OrchestratorOptions = {
    logger: winston.createLogger({ silent: true }),
    adminToken: 'test-admin-token-0123456789',
    ...(store === undefined ? {} : { store }),
    ...given,
    gateway: { queueTickMs: 20, ...given.gateway },
    now: clock.now,
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
    get store() {
      return running.store;
    },
    get gateway() {
      return running.gateway;
    },
    clock,
    dataDir,
    storeLocation: store ?? join(dataDir, 'orchestrator.db'),
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
    group: (name = 'g1', o = {}) =>
      running.store.groups.insert({
        name,
        passwordhash: hashSecret(o.password ?? SEEDED_GROUP_PASSWORD),
        preferredqueuingtype: o.queuing ?? 1,
        statecode: o.statecode ?? 0,
        callbacksecret: 'callback-secret-0123456789',
      }),
    workflow: (extra = {}) =>
      running.store.workflows.insert({ name: 'wf', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }), ...extra }),
    async session(workflowId, values) {
      const row = await running.store.sessions.insert({ _regardingobjectid_value: workflowId, runmode: RunMode.v.Unattended, statecode: SessionState.v.Active, statuscode: SessionStatus.v.Waiting, priority: 0, ...values });
      const id = row.flowsessionid;
      await running.gateway.queue.enqueued(id);
      return id;
    },
    async get(id) {
      const row = await running.store.sessions.get(id);
      if (!row) throw new Error(`no session ${id}`);
      return row;
    },
    async machine(group = 'g1', o = {}) {
      const reg = await registerMachine(running.url, { group, password: SEEDED_GROUP_PASSWORD, name: o.name ?? 'm', capacity: o.capacity });
      const agent = await FakeAgent.connect({ baseUrl: running.url, machineId: reg.flowmachineid, credential: reg.credential, autoPong: o.autoPong, features: o.features });
      return { agent, machineId: reg.flowmachineid, credential: reg.credential };
    },
    connect: (machineId, credential) => FakeAgent.connect({ baseUrl: running.url, machineId, credential }),
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
  body: string | Buffer | undefined,
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
