import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeOrchestratorFrame } from '../../shared/protocol-codec.js';
import { CloseCode, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { Agent } from '../../main/agent/agent.js';
import { AgentStore } from '../../main/agent/store/agent-store.js';
import { makeAssign } from '../support/agent-assign.js';
import { e2eLogger } from '../e2e/e2e-harness.js';

/**
 * A scripted orchestrator (a real ws server) that welcomes the real Agent and then sends it garbage: the agent
 * closes with 4000, reconnects, says hello again with the same lastAckedSeq, and its outbox is untouched.
 */
const MACHINE = '0c5b1c8e-55aa-4f11-9c61-3c8f5d1e2a77';
let server: WebSocketServer;
let dataDir: string;
const connections: { hello: Record<string, unknown>; socket: WebSocket; closed: Promise<number> }[] = [];
let waiter: (() => void) | undefined;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (socket) => {
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.once('message', (data) => {
      connections.push({ hello: JSON.parse(String(data)) as Record<string, unknown>, socket, closed });
      socket.send(JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, flowmachineid: MACHINE, appliedUpTo: 0, serverTime: new Date().toISOString(), heartbeatIntervalMs: 60_000, cancelSessions: [] }));
      waiter?.();
    });
  });
  dataDir = mkdtempSync(join(tmpdir(), 'flowhost-hostile-orch-'));
  // Two committed events the fake orchestrator never acks: they must survive every bad connection.
  const store = AgentStore.open(join(dataDir, 'agent.db'));
  // The store belongs to this machine (an unowned store that served an orchestrator would be kept aside).
  store.adoptMachineId(MACHINE);
  const assign = makeAssign();
  store.recordAssignment(assign);
  store.markConfirmed(assign.session.flowsessionid);
  store.markRunning(assign.session.flowsessionid, { startedon: new Date().toISOString() });
  store.appendLogLines(assign.session.flowsessionid, [{ seq: 0, level: 100000002, stream: 'stdout', at: new Date().toISOString(), message: 'kept' }]);
  store.close();
});
afterAll(async () => {
  for (const c of connections) c.socket.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

function nextConnection(count: number): Promise<void> {
  if (connections.length >= count) return Promise.resolve();
  return new Promise((resolve) => {
    waiter = () => connections.length >= count && resolve();
  });
}

describe('hostile input: orchestrator → agent frames', () => {
  it('garbage after welcome: the agent closes 4000, reconnects and replays from the same seq; its outbox is unchanged', async () => {
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({
      orchestratorUrl: `http://127.0.0.1:${port}`,
      credentials: { flowmachineid: MACHINE, credential: 'c'.repeat(40), callbackSecret: 's'.repeat(32) },
      dataDir,
      capacity: 1,
      sessionUsers: [],
      attendedMode: false,
      logger: e2eLogger('hostile-orch'),
      backoff: { initialMs: 10, maxMs: 20 },
    });
    // recover() aborts the session left running above: a `completed` event joins the outbox (3 events in all).
    agent.start();
    try {
      await nextConnection(1);
      const pending = agent.state().backlog.events;
      expect(pending).toBe(3);
      let tried = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant('{"type":"ack","upTo":-1}'), fc.constant('{"type":"confirm"}')), async (text) => {
          fc.pre(!decodeOrchestratorFrame(text).ok);
          tried += 1;
          const c = connections[connections.length - 1]!;
          c.socket.send(text);
          expect(await c.closed).toBe(CloseCode.InvalidFrame);
          await nextConnection(connections.length + 1);
          expect(connections[connections.length - 1]!.hello['lastAckedSeq']).toBe(0);
        }),
        { seed: 7, numRuns: 40 },
      );
      expect(tried).toBeGreaterThan(20);
      expect(agent.state().backlog.events).toBe(pending);
      console.log(`hostile orchestrator frames: ${tried} invalid frames, ${connections.length} connections, outbox kept ${pending} events`);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
