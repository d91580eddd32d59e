/**
 * The real Agent in its own process, so the benches can read its RSS and CPU from /proc. Started by
 * lib/agent-process.ts with its options as one JSON argument; prints `{"connected":true}` once welcomed and
 * stops cleanly on SIGTERM.
 */
import winston from 'winston';
import { Agent, type AgentCredentials } from '../../main/agent/agent.js';

interface AgentMainOptions {
  readonly orchestratorUrl: string;
  readonly credentials: AgentCredentials;
  readonly dataDir: string;
  readonly capacity: number;
  readonly sampleIntervalMs: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as AgentMainOptions;
const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ stderrLevels: ['error'] })] });
const agent = new Agent({
  orchestratorUrl: o.orchestratorUrl,
  credentials: o.credentials,
  dataDir: o.dataDir,
  capacity: o.capacity,
  sessionUsers: [],
  attendedMode: false,
  logger,
  sampleIntervalMs: o.sampleIntervalMs,
  killGraceMs: 1000,
});
agent.start();
const unsubscribe = agent.onStateChange((s) => {
  if (s.connection.status !== 'connected') return;
  unsubscribe();
  process.stdout.write(`${JSON.stringify({ connected: true })}\n`);
});
process.once('SIGTERM', () => {
  void agent.stop().then(() => process.exit(0));
});
