import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { registerMachine, wsUrl } from '../support/fake-agent.js';
import { OrchestratorProcess } from '../support/orchestrator-process.js';
import { adminLatency, latencyRows, type Latency } from './lib/admin-latency.js';
import { setting, type Bench, type BenchContext } from './lib/bench.js';
import type { BenchRow } from './lib/table.js';

const TOKEN = 'bench-hostile-connections-token-0123456789';
const PASSWORD = 'group-password-1';

/** Sockets that open a request and never finish it: half stop in the headers, half in a body; a byte every 200 ms. */
function slowloris(port: number, count: number): { readonly sockets: Socket[]; stop(): void } {
  const sockets = Array.from({ length: count }, (_, i) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(
      i % 2 === 0
        ? 'GET /api/data/v9.2/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '
        : `POST /api/data/v9.2/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"name":"`,
    );
    return s;
  });
  const trickle = setInterval(() => sockets.forEach((s) => s.destroyed || s.write('a')), 200);
  return {
    sockets,
    stop: () => {
      clearInterval(trickle);
      sockets.forEach((s) => s.destroy());
    },
  };
}

/** Upgrades that never end their headers, and authenticated WebSockets of one machine that never say hello. */
async function halfOpen(url: string, port: number, stalled: number, silent: number, auth: string): Promise<{ stop(): void }> {
  const sockets = Array.from({ length: stalled }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write('GET /agent/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    return s;
  });
  const webSockets = Array.from({ length: silent }, () => {
    const ws = new WebSocket(wsUrl(url), { headers: { authorization: auth } });
    ws.on('error', () => undefined);
    return ws;
  });
  await Promise.all(webSockets.map((ws) => new Promise((resolve) => (ws.once('open', resolve), ws.once('close', resolve)))));
  return {
    stop: () => {
      sockets.forEach((s) => s.destroy());
      webSockets.forEach((w) => w.terminate());
    },
  };
}

const mib = (bytes: number): number => bytes / 1_048_576;

function rssRow(label: string, loaded: number, idle: number): BenchRow {
  return { what: `orchestrator RSS MiB ${label} (raw: idle, same run)`, flowhost: mib(loaded).toFixed(1), raw: mib(idle).toFixed(1), ratio: `${(loaded / idle).toFixed(2)}×`, target: '(info)', met: undefined };
}

/**
 * The figures the hostile-connections and api-slowloris tests used to print: the admin API's latency (a probe in a
 * process of its own) and the orchestrator's RSS (a child process, /proc) while slowloris connections trickle, and
 * while stalled upgrades and silent WebSockets are held, against the same API idle in the same run. Production HTTP
 * limits: every slow connection stays open for the probe (headers 10 s).
 */
export const hostileConnections: Bench = {
  name: 'hostile-connections',
  budgetMs: () => 180_000,
  async run(ctx: BenchContext) {
    const requests = setting('BENCH_HOSTILE_REQUESTS', ctx, 200, 1000);
    const slow = setting('BENCH_SLOWLORIS', ctx, 200, 200);
    const stalled = setting('BENCH_STALLED_UPGRADES', ctx, 2000, 2000);
    const silent = 100;
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-bench-hostile-'));
    const orch = await OrchestratorProcess.start({ dataDir, adminToken: TOKEN, gateway: { heartbeatIntervalMs: 5000, helloTimeoutMs: 60_000 } });
    const target = { url: orch.url, token: TOKEN };
    try {
      if ((await orch.api('POST', 'flowmachinegroups', { name: 'g1', password: PASSWORD })).status >= 300) throw new Error('group not created');
      const reg = await registerMachine(orch.url, { group: 'g1', password: PASSWORD, name: 'silent' });
      await adminLatency(target, 20); // warm-up
      const idle = await adminLatency(target, requests);
      const idleRss = orch.rss();

      const load = slowloris(orch.port, slow);
      let underSlow: Latency;
      let slowRss: number;
      try {
        underSlow = await adminLatency(target, requests);
        slowRss = orch.rss();
        const open = load.sockets.filter((s) => !s.destroyed).length;
        if (open < slow) throw new Error(`only ${open} of ${slow} slow connections stayed open for the probe`);
      } finally {
        load.stop();
      }
      ctx.note(`hostile-connections: slowloris ${slow}: p50 ${underSlow.p50.toFixed(2)} p99 ${underSlow.p99.toFixed(2)} ms (idle ${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)})`);

      const held = await halfOpen(orch.url, orch.port, stalled, silent, `Bearer ${reg.flowmachineid}.${reg.credential}`);
      let underHalfOpen: Latency;
      let halfOpenRss: number;
      try {
        underHalfOpen = await adminLatency(target, requests);
        halfOpenRss = orch.rss();
      } finally {
        held.stop();
      }
      ctx.note(`hostile-connections: ${stalled} stalled + ${silent} silent: p50 ${underHalfOpen.p50.toFixed(2)} p99 ${underHalfOpen.p99.toFixed(2)} ms`);
      return [
        ...latencyRows(`with ${slow} slowloris connections trickling`, underSlow, idle),
        rssRow(`with ${slow} slowloris connections`, slowRss, idleRss),
        ...latencyRows(`holding ${stalled} stalled upgrades + ${silent} silent WebSockets`, underHalfOpen, idle),
        rssRow(`holding ${stalled} stalled upgrades + ${silent} silent WebSockets`, halfOpenRss, idleRss),
      ];
    } finally {
      await orch.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
