import { fileURLToPath } from 'node:url';
import { startTestOrchestrator } from '../support/orchestrator-harness.js';
import { adminLatency, latencyRows } from './lib/admin-latency.js';
import { setting, type Bench } from './lib/bench.js';
import { jsonField, startLineChild } from './lib/line-child.js';

const HOSTILE_MAIN = fileURLToPath(new URL('./hostile-load-main.ts', import.meta.url));

/**
 * Issue 12 item 6: admin API latency while 64 clients (another address each attempt) hammer /agent/v1/register with
 * wrong passwords, against the same API idle in the same run. The password checks (scrypt) run off the event loop,
 * at most a few at once; the rest are answered 503 at once.
 */
export const registerStorm: Bench = {
  name: 'register-storm',
  budgetMs: () => 180_000,
  async run(ctx) {
    const requests = setting('BENCH_STORM_REQUESTS', ctx, 200, 1000);
    const concurrency = setting('BENCH_STORM_CONCURRENCY', ctx, 64, 64);
    const orch = await startTestOrchestrator({ trustProxy: ['loopback'] });
    try {
      const group = await orch.api('POST', 'flowmachinegroups', { name: 'storm', password: 'the-right-password' });
      if (group.status >= 300) throw new Error(`group: ${group.status}`);
      await adminLatency(orch, 20); // warm-up
      const idle = await adminLatency(orch, requests);
      const storm = async (invalidBodies: boolean) => {
        const child = startLineChild(HOSTILE_MAIN, [JSON.stringify({ mode: 'register', baseUrl: orch.url, concurrency, group: 'storm', invalidBodies })]);
        try {
          await child.waitFor((l) => jsonField<number>(l, 'started'), 30_000, 'storm started');
          const loaded = await adminLatency(orch, requests);
          child.write('report');
          const report = await child.waitFor((l) => jsonField<Record<string, number>>(l, 'report'), 10_000, 'storm report');
          ctx.note(`register-storm${invalidBodies ? ' (invalid bodies)' : ''}: ${concurrency} clients, answers ${JSON.stringify(report)}; p50 ${loaded.p50.toFixed(2)} p99 ${loaded.p99.toFixed(2)} ms (idle ${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)})`);
          return loaded;
        } finally {
          await child.stop();
        }
      };
      const loaded = await storm(false);
      const http = await storm(true);
      return [
        ...latencyRows(`under ${concurrency} concurrent register attempts`, loaded, idle),
        ...latencyRows(`under the same storm of invalid bodies (HTTP alone, no check)`, http, idle).map((r) => ({ ...r, target: '(info)', met: undefined })),
      ];
    } finally {
      await orch.close();
    }
  },
};
