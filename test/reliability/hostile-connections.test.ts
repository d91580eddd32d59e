import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { WebSocket } from 'ws';
import { CloseCode } from '../../shared/protocol.js';
import { API_GROUP_PASSWORD, createFixtureWorkflow, createGroup, runFlow, startApiAgent, waitForSessionEnd, type ApiAgent } from '../support/api-harness.js';
import { registerMachine, wsUrl } from '../support/fake-agent.js';
import { startTestOrchestrator, type TestOrchestrator } from '../support/orchestrator-harness.js';

let orch: TestOrchestrator | undefined;
let agent: ApiAgent | undefined;
const sockets: Socket[] = [];
const webSockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const w of webSockets.splice(0)) w.terminate();
  await agent?.dispose();
  await orch?.close();
  agent = undefined;
  orch = undefined;
});

/** One machine's credential, many sockets: each new upgrade replaces the last, so at most one per machine stays. */
const HALF_OPEN_WS = 100;
const SLOWLORIS = 2000;

/** The admin API's latency and the orchestrator's RSS under this load: the hostile-connections bench. */
describe('hostile input: half-open connections', () => {
  it(`${SLOWLORIS} stalled HTTP upgrades + a burst of ${HALF_OPEN_WS} authenticated WebSockets that never say hello: a good agent runs a session meanwhile, one silent socket per machine survives until 4004`, async () => {
    orch = await startTestOrchestrator({ gateway: { queueTickMs: 20, heartbeatIntervalMs: 200, helloTimeoutMs: 4000 } });
    const groupId = await createGroup(orch, 'g1');
    const workflowId = await createFixtureWorkflow(orch, 'lines.mjs');
    const reg = await registerMachine(orch.url, { group: 'g1', password: API_GROUP_PASSWORD, name: 'silent' });
    const { port } = new URL(orch.url);
    for (let i = 0; i < SLOWLORIS; i++) {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => undefined);
      s.write(`GET /agent/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
      sockets.push(s);
    }
    const closes: Promise<number>[] = [];
    const opened: Promise<void>[] = [];
    for (let i = 0; i < HALF_OPEN_WS; i++) {
      const ws = new WebSocket(wsUrl(orch.url), { headers: { authorization: `Bearer ${reg.flowmachineid}.${reg.credential}` } });
      ws.on('error', () => undefined);
      webSockets.push(ws);
      opened.push(new Promise((resolve) => ws.once('open', () => resolve())));
      closes.push(new Promise((resolve) => ws.once('close', (code) => resolve(code))));
    }
    await Promise.all(opened);
    agent = await startApiAgent(orch, { group: 'g1', name: 'good' });
    const id = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { lines: 50 } });
    expect((await waitForSessionEnd(orch, id, 20_000))['statuscode']).toBe(4);
    const codes = await Promise.all(closes);
    const histogram: Record<number, number> = {};
    for (const c of codes) histogram[c] = (histogram[c] ?? 0) + 1;
    expect(histogram).toEqual({ [CloseCode.Replaced]: HALF_OPEN_WS - 1, [CloseCode.HelloTimeout]: 1 });
  }, 60_000);
});

describe('secrets in logs', () => {
  it('the admin token and a machine credential never appear in the orchestrator log, even at debug level and on failed attempts', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    const api = await startTestOrchestrator({ logger, adminToken: 'admin-token-that-must-never-be-logged-123', gateway: { queueTickMs: 20, maxAuthFailuresPerMinute: 1000 } });
    try {
      const g = await api.api('POST', 'flowmachinegroups', { name: 'g', password: 'pw-never-logged-1' }, { prefer: 'return=representation' });
      expect(g.status).toBe(201);
      const reg = await registerMachine(api.url, { group: 'g', password: 'pw-never-logged-1', name: 'm' });
      await registerMachine(api.url, { group: 'g', password: 'wrong-pw-never-logged-2', name: 'm' }).catch(() => undefined);
      expect((await api.api('GET', 'flowsessions', undefined, { authorization: 'Bearer wrong-token-never-logged-3' })).status).toBe(401);
      expect((await api.api('GET', 'flowsessions')).status).toBe(200);
      const ws = new WebSocket(wsUrl(api.url), { headers: { authorization: `Bearer ${reg.flowmachineid}.${reg.credential}` } });
      ws.on('error', () => undefined);
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send('not json');
      await new Promise((resolve) => ws.once('close', resolve));
      await api.restart();
      const all = lines.join('');
      expect(lines.length).toBeGreaterThan(0);
      for (const secret of ['admin-token-that-must-never-be-logged-123', reg.credential, 'pw-never-logged-1', 'wrong-pw-never-logged-2', 'wrong-token-never-logged-3']) {
        expect(all.includes(secret), `log contains ${secret}`).toBe(false);
      }
    } finally {
      await api.close();
    }
  });
});
