import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentConnection, agentWebSocketUrl, type ConnectionOptions, type ConnectionStatus } from '../../../../../main/agent/upstream/connection.js';
import { CloseCode, PROTOCOL_VERSION, type AgentFrame, type OrchestratorFrame } from '../../../../../shared/protocol.js';
import { waitFor } from '../../../../support/wait-for.js';
import { agentState } from '../../../../support/fake-agent.js';

const machineId = randomUUID();
const credential = 'c'.repeat(40);
const logger = winston.createLogger({ silent: true });

interface Peer {
  socket: WebSocket;
  auth: string | undefined;
  frames: AgentFrame[];
}

/** ws 8 waits for its clients before calling back from close(); end them first. */
function closeServer(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  return new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** A scripted orchestrator side: a real ws server on port 0 recording every peer and frame. */
async function scriptedServer() {
  const wss = new WebSocketServer({ port: 0, path: '/agent/v1' });
  await once(wss, 'listening');
  const peers: Peer[] = [];
  wss.on('connection', (socket, req) => {
    const peer: Peer = { socket, auth: req.headers.authorization, frames: [] };
    peers.push(peer);
    socket.on('message', (data) => peer.frames.push(JSON.parse(String(data)) as AgentFrame));
  });
  const port = (wss.address() as AddressInfo).port;
  return { wss, peers, url: `http://127.0.0.1:${port}`, close: () => closeServer(wss) };
}

const welcome = (heartbeatIntervalMs = 60_000): OrchestratorFrame => ({
  type: 'welcome',
  protocol: PROTOCOL_VERSION,
  flowmachineid: machineId,
  appliedUpTo: 0,
  serverTime: new Date().toISOString(),
  heartbeatIntervalMs,
  cancelSessions: [],
});

const state = agentState();

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function connect(url: string | string[], extra: Partial<ConnectionOptions> = {}) {
  const frames: OrchestratorFrame[] = [];
  const statuses: ConnectionStatus[] = [];
  const conn = new AgentConnection({
    orchestratorUrls: typeof url === 'string' ? [url] : url,
    flowmachineid: machineId,
    credential,
    logger,
    backoff: { random: () => 0 },
    hello: () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 't', os: 'linux', lastAckedSeq: 0, state, activeSessions: [] }),
    heartbeat: () => ({ type: 'state', state }),
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    ...extra,
  });
  cleanups.push(() => conn.stop());
  conn.start();
  return { conn, frames, statuses };
}

describe('agentWebSocketUrl', () => {
  it('maps http(s) to ws(s) and keeps a base path', () => {
    expect(agentWebSocketUrl('http://h:1')).toBe('ws://h:1/agent/v1');
    expect(agentWebSocketUrl('https://h/base/')).toBe('wss://h/base/agent/v1');
    expect(() => agentWebSocketUrl('ftp://h')).toThrow(/http\(s\) or ws\(s\)/);
  });
});

/** The URL of a port nothing listens on (bound, then closed). */
async function deadUrl(): Promise<string> {
  const server = await scriptedServer();
  await server.close();
  return server.url;
}

/** A machine id whose first 32 bits are `n` (the connection's first instance is that modulo the count). */
const idStartingAt = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

describe('AgentConnection over several orchestrator instances', () => {
  it('spreads a fleet: the machine id picks the first instance', async () => {
    const [a, b] = [await scriptedServer(), await scriptedServer()];
    cleanups.push(a.close, b.close);
    const { conn } = connect([a.url, b.url], { flowmachineid: idStartingAt(1) });
    await waitFor(() => b.peers[0]?.frames[0], { what: 'hello at the second instance' });
    expect(a.peers).toHaveLength(0);
    expect(conn.orchestratorUrl).toBe(b.url);
  });

  it('moves past an instance it cannot reach, and to the next when its instance goes away', async () => {
    const [a, b] = [await scriptedServer(), await scriptedServer()];
    cleanups.push(a.close, b.close);
    const { conn } = connect([await deadUrl(), a.url, b.url], { flowmachineid: idStartingAt(0) });
    const atA = await waitFor(() => a.peers[0]?.frames[0] && a.peers[0], { what: 'hello at the first live instance' });
    atA.socket.send(JSON.stringify({ ...welcome(), flowmachineid: idStartingAt(0) }));
    await waitFor(() => conn.status === 'connected', { what: 'connected' });
    expect(conn.orchestratorUrl).toBe(a.url);
    atA.socket.terminate();
    const atB = await waitFor(() => b.peers[0]?.frames[0] && b.peers[0], { what: 'hello at the next instance' });
    expect(atB.frames[0]).toMatchObject({ type: 'hello' });
    expect(a.peers).toHaveLength(1);
  });
});

describe('AgentConnection', () => {
  it('authenticates on the upgrade, says hello, and beats with state frames once welcomed', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { conn, frames } = connect(server.url);
    const peer = await waitFor(() => server.peers[0]?.frames[0] && server.peers[0], { what: 'hello' });
    expect(peer.auth).toBe(`Bearer ${machineId}.${credential}`);
    expect(peer.frames[0]).toMatchObject({ type: 'hello', protocol: PROTOCOL_VERSION });
    expect(conn.status).toBe('connecting');
    peer.socket.send(JSON.stringify(welcome(1000)));
    await waitFor(() => conn.status === 'connected', { what: 'connected' });
    expect(frames[0]?.type).toBe('welcome');
    // The server keeps the link alive with pings; the agent sends its state every interval.
    const pinger = setInterval(() => peer.socket.ping(), 200);
    cleanups.push(() => clearInterval(pinger));
    await waitFor(() => peer.frames.filter((f) => f.type === 'state').length >= 1, { what: 'a heartbeat', timeoutMs: 5000 });
    expect(conn.send({ type: 'accept', sessionId: randomUUID() })).toBe(true);
  });

  it('closes with 4000 on an invalid frame, then reconnects', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { frames } = connect(server.url);
    const first = await waitFor(() => server.peers[0], { what: 'first peer' });
    const closed = once(first.socket, 'close');
    first.socket.send(JSON.stringify({ type: 'assign', session: {} }));
    const [code] = (await closed) as [number];
    expect(code).toBe(CloseCode.InvalidFrame);
    const second = await waitFor(() => server.peers[1]?.frames[0] && server.peers[1], { what: 'reconnect' });
    expect(second.frames[0]?.type).toBe('hello');
    expect(frames).toEqual([]);
  });

  it.each([
    [CloseCode.Unauthorized, /credential/],
    [CloseCode.Revoked, /revoked/],
    [CloseCode.UnsupportedVersion, /protocol version/],
  ])('stops reconnecting after close code %i with a clear error', async (code, message) => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { conn, statuses } = connect(server.url);
    const peer = await waitFor(() => server.peers[0], { what: 'peer' });
    peer.socket.close(code, 'test');
    await waitFor(() => conn.status === 'refused', { what: 'refused' });
    expect(conn.lastError).toMatch(message);
    expect(statuses).toEqual(['connecting', 'refused']);
    // A retry would have connected at once (random() = 0); the server still has one peer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.peers).toHaveLength(1);
  });

  it('treats an HTTP 401 on the upgrade as a refused credential', async () => {
    const wss = new WebSocketServer({ port: 0, verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized') });
    await once(wss, 'listening');
    cleanups.push(() => closeServer(wss));
    const { conn } = connect(`http://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    await waitFor(() => conn.status === 'refused', { what: 'refused' });
    expect(conn.lastError).toMatch(/HTTP 401/);
  });

  it('drops a silent link and reconnects', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { conn } = connect(server.url, { heartbeatTimeoutFactor: 0.2 });
    const first = await waitFor(() => server.peers[0]?.frames[0] && server.peers[0], { what: 'hello' });
    first.socket.send(JSON.stringify(welcome(1000)));
    await waitFor(() => conn.status === 'connected', { what: 'connected' });
    // No pings: after 0.2 × 1000 ms the agent terminates and reconnects.
    await waitFor(() => server.peers[1], { what: 'reconnect after silence', timeoutMs: 5000 });
    expect(conn.lastError).toMatch(/1006/);
  });

  it('reconnects after the server goes away and comes back on the same port', async () => {
    const server = await scriptedServer();
    const port = Number(new URL(server.url).port);
    const { conn } = connect(server.url, { backoff: { random: () => 0.5, initialMs: 50, maxMs: 200 } });
    const first = await waitFor(() => server.peers[0]?.frames[0] && server.peers[0], { what: 'hello' });
    first.socket.send(JSON.stringify(welcome()));
    await waitFor(() => conn.status === 'connected', { what: 'connected' });
    await server.close();
    await waitFor(() => conn.status === 'disconnected', { what: 'disconnected' });
    const again = new WebSocketServer({ port, path: '/agent/v1' });
    cleanups.push(() => closeServer(again));
    const [socket] = (await once(again, 'connection')) as [WebSocket];
    socket.send(JSON.stringify(welcome()));
    await waitFor(() => conn.status === 'connected', { what: 'reconnected' });
  });

  it('stop() closes with 1000 and never reconnects', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { conn } = connect(server.url);
    const peer = await waitFor(() => server.peers[0], { what: 'peer' });
    const closed = once(peer.socket, 'close');
    await conn.stop();
    const [code] = (await closed) as [number];
    expect(code).toBe(CloseCode.Normal);
    expect(conn.status).toBe('stopped');
    expect(conn.send({ type: 'state', state })).toBe(false);
  });
});
