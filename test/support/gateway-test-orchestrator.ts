import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';
import { hashSecret } from '../../orchestrator/auth/secrets.js';
import type { OrchestratorContext } from '../../orchestrator/context.js';
import { registerAgentGateway, type AgentGateway, type AgentGatewayOptions } from '../../orchestrator/gateway/index.js';
import { SqliteStore } from '../../orchestrator/store/sqlite-store.js';
import { FakeAgent, registerMachine } from './fake-agent.js';

/** A record's fields as the tests write and read them. */
type Row = Record<string, unknown>;

/** A clock tests move by hand. */
class TestClock {
  constructor(public t = Date.parse('2030-01-01T00:00:00.000Z')) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * A real fastify app with the agent gateway on port 0 and a SQLite store in a temp dir (what
 * orchestrator/server.ts wires, minus the Web API), plus seeding helpers that write the store directly.
 */
export class TestOrchestrator {
  app!: FastifyInstance;
  store!: SqliteStore;
  gateway!: AgentGateway;
  url = '';
  readonly clock = new TestClock();
  readonly dataDir = mkdtempSync(join(tmpdir(), 'flowhost-gw-'));
  private port = 0;

  constructor(readonly options: AgentGatewayOptions = {}) {}

  static async start(options: AgentGatewayOptions = {}): Promise<TestOrchestrator> {
    const o = new TestOrchestrator({ queueTickMs: 20, ...options });
    await o.open();
    return o;
  }

  get ctx(): OrchestratorContext {
    return { store: this.store, now: this.clock.now, logger: winston.createLogger({ silent: true }) };
  }

  private async open(): Promise<void> {
    this.store = new SqliteStore({ file: join(this.dataDir, 'orchestrator.db'), now: this.clock.now });
    this.app = Fastify();
    await this.app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
    this.gateway = await registerAgentGateway(this.app, this.ctx, this.options);
    await this.app.listen({ host: '127.0.0.1', port: this.port });
    const addr = this.app.server.address();
    if (typeof addr !== 'object' || !addr) throw new Error('no address');
    this.port = addr.port;
    this.url = `http://127.0.0.1:${addr.port}`;
  }

  /** Stops everything and starts again on the same data dir and port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.open();
  }

  private async stop(): Promise<void> {
    await this.gateway.close();
    await this.app.close();
    this.store.close();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  group(name = 'g1', opts: { password?: string; queuing?: number; statecode?: number } = {}): Row {
    return this.store.groups.insert({
      name,
      passwordhash: hashSecret(opts.password ?? 'group-password'),
      preferredqueuingtype: opts.queuing ?? 1,
      statecode: opts.statecode ?? 0,
      callbacksecret: 'callback-secret-0123456789',
    });
  }

  workflow(extra: Row = {}): Row {
    return this.store.workflows.insert({
      name: 'wf',
      category: 6,
      clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }),
      ...extra,
    });
  }

  /** Inserts a Waiting session and tells the queue, like RunDesktopFlow does. */
  session(workflowId: string, values: Row): string {
    const row = this.store.sessions.insert({ _regardingobjectid_value: workflowId, runmode: 2, statecode: 0, statuscode: 3, priority: 0, ...values });
    const id = String(row['flowsessionid']);
    this.gateway.queue.enqueued(id);
    return id;
  }

  get(id: string): Row {
    return this.store.sessions.get(id)!;
  }

  /** Registers a machine into `group` and connects a fake agent (hello not sent yet). */
  async machine(group = 'g1', opts: { name?: string; capacity?: number; autoPong?: boolean; features?: readonly string[] } = {}): Promise<{ agent: FakeAgent; machineId: string; credential: string }> {
    const reg = await registerMachine(this.url, { group, password: 'group-password', name: opts.name ?? 'm', capacity: opts.capacity });
    const agent = await FakeAgent.connect({ baseUrl: this.url, machineId: reg.flowmachineid, credential: reg.credential, autoPong: opts.autoPong, features: opts.features });
    return { agent, machineId: reg.flowmachineid, credential: reg.credential };
  }

  connect(machineId: string, credential: string): Promise<FakeAgent> {
    return FakeAgent.connect({ baseUrl: this.url, machineId, credential });
  }
}
