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
import { tempDir } from '../support/temp-dir.js';
import { AgentProcess } from '../support/agent-process.js';
import { isFrame, ScriptedOrchestrator } from './support/scripted-orchestrator.js';

/**
 * A scripted orchestrator (a real ws server) that welcomes the real Agent and then sends it garbage: the agent
 * closes with 4000, reconnects, says hello again with the same lastAckedSeq, and its outbox is untouched.
 */
const MACHINE = '0c5b1c8e-55aa-4f11-9c61-3c8f5d1e2a77';
let server: WebSocketServer;
let dataDir: string;
const connections: { hello: Record<string, unknown>; socket: WebSocket; closed: Promise<{ code: number; reason: string }> }[] = [];
let waiter: (() => void) | undefined;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (socket) => {
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
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

/** Long and non-ASCII text (2-, 3- and 4-byte characters, quotes, escapes): an error naming it passes 123 bytes. */
const hostileText = fc.string({ unit: fc.constantFrom('é', '€', '😀', 'a', '"', '\\'), minLength: 40, maxLength: 400 });

const validFrames: Record<string, Record<string, unknown>> = {
  ack: { type: 'ack', upTo: 1 },
  confirm: { type: 'confirm', sessionId: MACHINE },
  cancel: { type: 'cancel', sessionId: MACHINE, reason: 'cancelled' },
  error: { type: 'error', code: 'X', message: 'm' },
};

/** A valid orchestrator frame with one unknown key of hostile text (named in the decoder's error), or a field of hostile text. */
const hostileKeyOrString = fc
  .tuple(fc.constantFrom(...Object.keys(validFrames)), fc.boolean(), hostileText, fc.oneof(hostileText, fc.integer()), fc.nat())
  .map(([type, asKey, text, value, pick]) => {
    const frame = { ...validFrames[type]! };
    const keys = Object.keys(frame).filter((k) => k !== 'type');
    if (asKey) frame[text] = value;
    else frame[keys[pick % keys.length]!] = `${text}${'é'.repeat(200)}`;
    return JSON.stringify(frame);
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
      orchestratorUrls: [`http://127.0.0.1:${port}`],
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
        fc.asyncProperty(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant('{"type":"ack","upTo":-1}'), fc.constant('{"type":"confirm"}'), hostileKeyOrString), async (text) => {
          fc.pre(!decodeOrchestratorFrame(text).ok);
          tried += 1;
          const c = connections[connections.length - 1]!;
          c.socket.send(text);
          const closed = await c.closed;
          expect(closed.code).toBe(CloseCode.InvalidFrame);
          expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
          await nextConnection(connections.length + 1);
          expect(connections[connections.length - 1]!.hello['lastAckedSeq']).toBe(0);
        }),
        { seed: 7, numRuns: 60 },
      );
      expect(tried).toBeGreaterThan(20);
      expect(agent.state().backlog.events).toBe(pending);
      console.log(`hostile orchestrator frames: ${tried} invalid frames, ${connections.length} connections, outbox kept ${pending} events`);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it('a frame whose unknown key is 60 non-ASCII characters: the agent process closes 4000 with a reason of 123 bytes at most, reconnects and keeps running', async () => {
    const machine = '5d0b7a52-7f55-4a4e-9d8e-2b1f0c7e6a10';
    const orch = new ScriptedOrchestrator(machine);
    await orch.start();
    const agent = new AgentProcess({ orchestratorUrl: orch.url, credentials: { flowmachineid: machine, credential: 'c'.repeat(40), callbackSecret: 's'.repeat(32) }, dataDir: tempDir('flowhost-hostile-key-') });
    try {
      agent.start();
      await agent.whenConnected();
      const before = orch.frames.length;
      // The decoder names the unknown key in its error: 60 × 'é' is 120 bytes of key alone.
      orch.sendText(`{"type":"ack","upTo":1,"${'é'.repeat(60)}":1}`);
      const close = await orch.waitClose(0);
      expect(agent.unexpectedExits).toEqual([]);
      expect(close.code).toBe(CloseCode.InvalidFrame);
      expect(Buffer.byteLength(close.reason)).toBeLessThanOrEqual(123);
      expect(close.reason).toMatch(/^invalid ack frame/);
      await orch.waitFrame(isFrame('hello'), { from: before, what: 'the hello of a reconnect' });
      expect(agent.unexpectedExits).toEqual([]);
    } finally {
      await agent.stop();
      await orch.close();
    }
  }, 60_000);
});
