import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeAgent, registerMachine } from '../support/fake-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { OrchestratorProcess } from '../support/orchestrator-process.js';

/**
 * Slowloris against the real orchestrator (child process): 200 connections trickle a byte every 200 ms — half
 * never finish their headers, half send complete (authenticated) headers and then a body that never ends. The
 * server must drop every one of them (headersTimeout / requestTimeout of orchestrator/server.ts, set short here),
 * while a good client is answered meanwhile and a connected agent's WebSocket is not touched by those limits. How fast
 * the good client is answered under slowloris is measured by the hostile-connections bench.
 */
const TOKEN = 'slowloris-admin-token-0123456789';
const LIMITS = { headersTimeoutMs: 1500, requestTimeoutMs: 3000, keepAliveTimeoutMs: 1000, checkIntervalMs: 250 };
const SLOW = 200;
const BYTE_EVERY_MS = 200;

let orch: OrchestratorProcess | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await orch?.stop();
  orch = undefined;
});

interface SlowConnection {
  readonly kind: 'headers' | 'body';
  readonly openedAt: number;
  closedAfterMs?: number;
  answer: string;
}

function slowConnection(port: number, kind: SlowConnection['kind']): { conn: SlowConnection; socket: Socket; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const conn: SlowConnection = { kind, openedAt: Date.now(), answer: '' };
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => (conn.answer += d.toString('latin1')));
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      conn.closedAfterMs = Date.now() - conn.openedAt;
      resolve();
    }),
  );
  if (kind === 'body') {
    const head = `POST /api/data/v9.2/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"name":"`;
    socket.write(head);
  } else {
    socket.write('GET /api/data/v9.2/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  }
  sockets.push(socket);
  return { conn, socket, closed };
}

describe('hostile input: slowloris on the Web API', () => {
  it(`${SLOW} connections sending a byte every ${BYTE_EVERY_MS} ms are dropped by the header/request timeouts; a good client and an agent's WebSocket are unaffected`, async () => {
    orch = await OrchestratorProcess.start({ dataDir: tempDir('flowhost-slowloris-'), adminToken: TOKEN, gateway: { heartbeatIntervalMs: 500 }, http: LIMITS });
    expect((await orch.api('POST', 'flowmachinegroups', { name: 'g1', password: 'group-password' })).status).toBe(204);
    const reg = await registerMachine(orch.url, { group: 'g1', password: 'group-password', name: 'steady' });
    const agent = await FakeAgent.connect({ baseUrl: orch.url, machineId: reg.flowmachineid, credential: reg.credential });
    await agent.hello();

    const slow = Array.from({ length: SLOW }, (_, i) => slowConnection(orch!.port, i % 2 === 0 ? 'headers' : 'body'));
    const trickle = setInterval(() => {
      for (const { socket, conn } of slow) {
        if (socket.destroyed || conn.closedAfterMs !== undefined) continue;
        socket.write('a');
      }
    }, BYTE_EVERY_MS);

    const goodStatuses = new Set<number>();
    let allClosed = false;
    const closedAll = Promise.all(slow.map((s) => s.closed)).then(() => (allClosed = true));
    const started = Date.now();
    let answeredWhileSlowOpen = 0;
    while (!allClosed && Date.now() - started < LIMITS.requestTimeoutMs + 5000) {
      goodStatuses.add((await orch.api('GET', 'workflows?$top=5')).status);
      if (slow.some((s) => s.conn.closedAfterMs === undefined)) answeredWhileSlowOpen += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    clearInterval(trickle);
    await closedAll;

    const closeTimes = (kind: SlowConnection['kind']) => slow.filter((s) => s.conn.kind === kind).map((s) => s.conn.closedAfterMs!);
    const answered408 = slow.filter((s) => s.conn.answer.startsWith('HTTP/1.1 408')).length;
    // Dropped by the limits, not by anything earlier: each slow connection got the 408 of a timed-out request, and
    // none closed before its limit.
    expect(answered408).toBe(SLOW);
    expect(Math.min(...closeTimes('headers'))).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    expect(Math.min(...closeTimes('body'))).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 50);
    // The good client was answered while slow connections still held their sockets.
    expect(answeredWhileSlowOpen).toBeGreaterThan(0);
    expect([...goodStatuses]).toEqual([200]);

    // The agent's socket outlived every HTTP limit: it still gets answers on the same connection.
    agent.state({ freeSlots: 1 });
    expect(await Promise.race([agent.closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('open'), 300))])).toBe('open');
    expect((await orch.api('GET', `flowmachines(${reg.flowmachineid})?$select=name`)).status).toBe(200);
    await agent.close();
  }, 30_000);
});
