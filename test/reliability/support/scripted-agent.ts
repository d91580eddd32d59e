import { randomUUID } from 'node:crypto';
import { Agent, type AgentCredentials, type AgentOptions } from '../../../main/agent/agent.js';
import { e2eLogger } from '../../e2e/e2e-harness.js';
import { isFrame, ScriptedOrchestrator } from './scripted-orchestrator.js';

/** Made-up credentials for an agent whose orchestrator is played by the test (nothing checks them). */
export const scriptedCredentials = (machineId: string): AgentCredentials => ({ flowmachineid: machineId, credential: 'c'.repeat(40), callbackSecret: 's'.repeat(32) });

export interface ScriptedAgentOptions extends Partial<AgentOptions> {
  readonly dataDir: string;
  readonly capacity: number;
  /** Names the agent's logger. */
  readonly name: string;
  /** The peer's heartbeat interval (see ScriptedOrchestrator). */
  readonly peerHeartbeatMs?: number;
  /** The features the peer announces (default this orchestrator's; fewer plays an older release). */
  readonly peerFeatures?: readonly string[];
}

/**
 * A real Agent in this process on `dataDir`, connected to a fresh ScriptedOrchestrator; resolves once the agent
 * said hello. Pushes the stops onto `cleanups` (run newest first: the agent stops before its peer closes).
 */
export async function startScriptedAgent(o: ScriptedAgentOptions, cleanups: (() => Promise<void> | void)[]): Promise<{ peer: ScriptedOrchestrator; agent: Agent }> {
  const { name, peerHeartbeatMs, peerFeatures, ...agentOptions } = o;
  const machineId = randomUUID();
  const peer = new ScriptedOrchestrator(machineId, peerHeartbeatMs, peerFeatures);
  await peer.start();
  cleanups.push(() => peer.close());
  const agent = new Agent({
    orchestratorUrls: [peer.url],
    credentials: scriptedCredentials(machineId),
    sessionUsers: [],
    attendedMode: false,
    logger: e2eLogger(name),
    sampleIntervalMs: 100,
    ...agentOptions,
  });
  agent.start();
  cleanups.push(() => agent.stop());
  await peer.waitFrame(isFrame('hello'), { what: 'hello' });
  return { peer, agent };
}
