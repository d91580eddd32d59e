/**
 * The real orchestrator (Web API + gateway + SQLite) in its own process for the fan-out bench, so /proc gives its
 * RSS and CPU. Options as one JSON argument; prints `{"url":…,"token":…}` once listening, stops on SIGTERM.
 */
import { startTestOrchestrator } from '../support/orchestrator-harness.js';

const o = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; heartbeatIntervalMs: number };
const orch = await startTestOrchestrator({ dataDir: o.dataDir, gateway: { heartbeatIntervalMs: o.heartbeatIntervalMs, queueTickMs: 1000 } });
process.stdout.write(`${JSON.stringify({ url: orch.url, token: orch.token })}\n`);
process.once('SIGTERM', () => {
  void orch.close().then(() => process.exit(0));
});
