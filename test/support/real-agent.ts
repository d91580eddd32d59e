import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { Agent, type AgentCredentials, type AgentOptions } from '../../main/agent/agent.js';
import { ensureRegistered } from '../../main/agent/registration/registration.js';
import { waitFor } from './wait-for.js';

/**
 * Real agents for tests that run the whole system: a machine registered over HTTP with the agent's own
 * registration module, and the real Agent in this process on its own data dir.
 */

/** A winston logger for agent `name`; silent unless FLOWHOST_E2E_LOG is set. */
export const testAgentLogger = (name: string) =>
  winston.createLogger({
    silent: !process.env['FLOWHOST_E2E_LOG'],
    defaultMeta: { agent: name },
    transports: [new winston.transports.Console({ format: winston.format.simple() })],
  });

export interface TestMachineOptions {
  readonly group: string;
  readonly groupPassword: string;
  readonly name: string;
  readonly capacity?: number;
  /** Reuse this data dir (its credential, if any); a fresh temp dir otherwise. */
  readonly dataDir?: string;
  /** Names the temp data dir (`flowhost-<dirTag>-<name>-…`) and the reported agent version. */
  readonly dirTag?: string;
}

/** Registers a machine into `group` (or loads the credential already in `dataDir`); returns its data dir and credentials. */
export async function registerTestMachine(orchestratorUrl: string, o: TestMachineOptions): Promise<{ dataDir: string; credentials: AgentCredentials }> {
  const tag = o.dirTag ?? 'e2e';
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), `flowhost-${tag}-${o.name}-`));
  const { credentials } = await ensureRegistered({
    credentialsFile: join(dataDir, 'credentials.json'),
    orchestrator: orchestratorUrl,
    group: o.group,
    groupPassword: o.groupPassword,
    name: o.name,
    capacity: o.capacity ?? 1,
    agentVersion: tag,
  });
  return { dataDir, credentials };
}

export interface RealAgent {
  readonly agent: Agent;
  readonly machineId: string;
  readonly dataDir: string;
  /** Stops the agent (if running) and removes its data dir. */
  dispose(): Promise<void>;
}

/** Registers a machine and starts a real Agent with test timings (short backoff, fast samples); resolves once it is connected. */
export async function startRealAgent(orchestratorUrl: string, opts: Omit<TestMachineOptions, 'dirTag'> & Partial<AgentOptions>): Promise<RealAgent> {
  const { group, groupPassword, name, capacity = 1, dataDir: givenDir, ...agentOptions } = opts;
  const { dataDir, credentials } = await registerTestMachine(orchestratorUrl, { group, groupPassword, name, capacity, ...(givenDir ? { dataDir: givenDir } : {}) });
  const agent = new Agent({
    orchestratorUrls: [orchestratorUrl],
    credentials,
    machineName: name,
    dataDir,
    capacity,
    sessionUsers: [],
    attendedMode: false,
    logger: testAgentLogger(name),
    sampleIntervalMs: 100,
    backoff: { initialMs: 50, maxMs: 500 },
    callbackAllow: ['127.0.0.1'],
    callbackDelivery: { baseDelayMs: 50, maxDelayMs: 200, pollIntervalMs: 100 },
    killGraceMs: 1000,
    ...agentOptions,
  });
  agent.start();
  await waitFor(() => agent.state().connection.status === 'connected', { what: `agent ${name} to connect` });
  return {
    agent,
    machineId: credentials.flowmachineid,
    dataDir,
    async dispose() {
      await agent.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
