import { fileURLToPath } from 'node:url';
import { registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator } from '../support/orchestrator-harness.js';
import { adminLatency, latencyRows } from './lib/admin-latency.js';
import { setting, type Bench } from './lib/bench.js';
import { jsonField, startLineChild } from './lib/line-child.js';

const HOSTILE_MAIN = fileURLToPath(new URL('./hostile-load-main.ts', import.meta.url));

/**
 * Issue 12 item 14: admin API latency while one authenticated machine floods the gateway with 14.5 MiB `events`
 * frames as fast as its socket takes them, against the same API idle in the same run. The machine's frames wait
 * for its budget unread; each is applied in slices between which the API is served.
 */
export const machineFlood: Bench = {
  name: 'machine-flood',
  budgetMs: () => 240_000,
  async run(ctx) {
    const requests = setting('BENCH_FLOOD_REQUESTS', ctx, 200, 1000);
    const frameMiB = setting('BENCH_FLOOD_FRAME_MIB', ctx, 14.5, 14.5);
    const orch = await startTestOrchestrator();
    try {
      const group = await orch.api('POST', 'flowmachinegroups', { name: 'flood', password: 'group-password-1' });
      if (group.status >= 300) throw new Error(`group: ${group.status}`);
      const reg = await registerMachine(orch.url, { group: 'flood', password: 'group-password-1', name: 'flooder' });
      await adminLatency(orch, 20); // warm-up
      const idle = await adminLatency(orch, requests);
      const child = startLineChild(HOSTILE_MAIN, [JSON.stringify({ mode: 'flood', baseUrl: orch.url, machineId: reg.flowmachineid, credential: reg.credential, frameMiB })]);
      try {
        const rssBefore = process.memoryUsage().rss;
        let rssPeak = rssBefore;
        const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
        await child.waitFor((l) => jsonField<number>(l, 'started'), 30_000, 'flood started');
        const t0 = Date.now();
        const loaded = await adminLatency(orch, requests).finally(() => clearInterval(sampler));
        const seconds = (Date.now() - t0) / 1000;
        const grewMiB = (rssPeak - rssBefore) / 1_048_576;
        child.write('report');
        const report = await child.waitFor((l) => jsonField<Record<string, number>>(l, 'report'), 10_000, 'flood report');
        const mib = ((report['ackedEvents'] ?? 0) / 2000) * frameMiB;
        ctx.note(`machine-flood: ${JSON.stringify(report)} in ${seconds.toFixed(1)} s (~${(mib / seconds).toFixed(1)} MiB/s applied); idle p50 ${idle.p50.toFixed(2)} p99 ${idle.p99.toFixed(2)} ms, flood p50 ${loaded.p50.toFixed(2)} p99 ${loaded.p99.toFixed(2)} ms`);
        return [
          ...latencyRows(`while one machine floods ${frameMiB} MiB frames`, loaded, idle),
          { what: `orchestrator RSS growth MiB while one machine floods (its frames wait unread)`, flowhost: grewMiB.toFixed(0), raw: '—', ratio: '—', target: '(info)', met: undefined },
        ];
      } finally {
        await child.stop();
      }
    } finally {
      await orch.close();
    }
  },
};
