import type { AgentCredentials } from '../../../main/agent/agent.js';
import { API_GROUP_PASSWORD, createGroup, runFlow, startApiOrchestrator } from '../../support/api-harness.js';
import type { TestOrchestrator } from '../../support/orchestrator-harness.js';
import { startTestOrchestrator } from '../../support/orchestrator-harness.js';
import { registerTestMachine } from '../../support/real-agent.js';

export { createGroup, runFlow };

/** The real orchestrator (Web API + gateway + SQLite) on port 0, as the e2e tests start it, with production heartbeats. */
export function startBenchOrchestrator(quiet = true): Promise<TestOrchestrator> {
  return quiet ? startTestOrchestrator({ gateway: { queueTickMs: 20, callbackAllowHosts: ['127.0.0.1'] } }) : startApiOrchestrator();
}

/** A `command` workflow with this argv, created over the Web API. */
export async function createWorkflow(orch: TestOrchestrator, name: string, argv: readonly string[]): Promise<string> {
  const res = await orch.api('POST', 'workflows', { name, category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv }) }, { prefer: 'return=representation' });
  if (res.status >= 300) throw new Error(`POST workflows → ${res.status}: ${res.text}`);
  return String(res.json['workflowid']);
}

/** Registers a machine into `group` over HTTP (the agent's own registration module); returns its data dir and credentials. */
export function registerBenchAgent(orch: TestOrchestrator, group: string, name: string, capacity = 1): Promise<{ dataDir: string; credentials: AgentCredentials }> {
  return registerTestMachine(orch.url, { group, groupPassword: API_GROUP_PASSWORD, name, capacity, dirTag: 'bench' });
}
