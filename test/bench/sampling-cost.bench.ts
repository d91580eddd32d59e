import { AckingOrchestrator } from './lib/acking-orchestrator.js';
import { startAgentProcess } from './lib/agent-process.js';
import { setting, type Bench } from './lib/bench.js';
import { cpuWindow } from './lib/proc.js';
import { points } from './lib/table.js';

const SAMPLING_OFF_MS = 3_600_000; // the longest interval the agent takes, longer than any window: the sampler never ticks

/**
 * Sampling cost: two real agents run the same sleeping session at the same time (same machine noise), one
 * sampling every second (the default), one with sampling off; the difference of their CPU is the cost.
 */
export const samplingCost: Bench = {
  name: 'sampling-cost',
  budgetMs: (ctx) => 60_000 + setting('BENCH_SAMPLING_S', ctx, 15, 60) * 1000,
  async run(ctx) {
    const windowS = setting('BENCH_SAMPLING_S', ctx, 15, 60);
    const orchOn = await AckingOrchestrator.start();
    const orchOff = await AckingOrchestrator.start();
    const on = await startAgentProcess({ orchestratorUrl: orchOn.url, credentials: orchOn.credentials, sampleIntervalMs: 1000 });
    const off = await startAgentProcess({ orchestratorUrl: orchOff.url, credentials: orchOff.credentials, sampleIntervalMs: SAMPLING_OFF_MS });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      ctx.note(`sampling-cost: ${windowS} s session on two agents (sampling 1 s / off)`);
      const flow = { schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, '-e', `setTimeout(() => {}, ${windowS * 1000})`] };
      const cpuOn = cpuWindow(on.pid);
      const cpuOff = cpuWindow(off.pid);
      await Promise.all([orchOn.run(flow), orchOff.run(flow)]);
      const withSampling = cpuOn.stop();
      const without = cpuOff.stop();
      const cost = withSampling - without;
      return [
        {
          what: `sampling cost (agent CPU % of a core, ${windowS} s session)`,
          flowhost: `${withSampling.toFixed(2)} %`,
          raw: `${without.toFixed(2)} % (off)`,
          ratio: points(cost),
          target: '< 1 pt',
          met: cost < 1,
        },
      ];
    } finally {
      await Promise.all([on.stop(), off.stop()]);
      await Promise.all([orchOn.close(), orchOff.close()]);
    }
  },
};
