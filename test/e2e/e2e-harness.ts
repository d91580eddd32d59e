import { isTerminalStatus } from '../../shared/option-sets.js';
import type { AgentOptions } from '../../main/agent/agent.js';
import { TestOrchestrator } from '../support/gateway-test-orchestrator.js';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';
import { waitFor } from '../support/wait-for.js';
import { processExists } from '../../main/agent/process/process-exists.js';
import { fixture } from '../support/api-harness.js';

/** A record's fields as the tests write and read them. */
type Row = Record<string, unknown>;

/**
 * Real agents and flows against the orchestrator's gateway alone (test/support/gateway-test-orchestrator.ts: gateway
 * + queue + SQLite store on port 0, seeded by writing the store), only for the control no operator route reaches
 * (session pause through gateway.control); every other end-to-end and fault test queues and reads through the Web
 * API (test/support/api-harness.ts).
 */
export const GROUP_PASSWORD = 'group-password';

export { fixture };

/** The agents' logger (silent unless FLOWHOST_E2E_LOG); the reliability suite uses it too. */
export { testAgentLogger as e2eLogger } from '../support/real-agent.js';

export async function startOrchestrator(): Promise<TestOrchestrator> {
  const orch = await TestOrchestrator.start({ heartbeatIntervalMs: 200, queueTickMs: 20, callbackAllowHosts: ['127.0.0.1'], callbackBaseDelayMs: 50 });
  // The gateway harness starts on a hand-moved clock; agents run on real time, so the orchestrator must too
  // (its run-timeout check compares its clock with the agent's startedon). The clock is read at open.
  orch.clock.now = () => new Date();
  await orch.restart();
  return orch;
}

/** Registers a machine into `group` over HTTP (the agent's registration module) and starts a real Agent. */
export function startAgent(
  orch: TestOrchestrator,
  opts: { group: string; name: string; capacity?: number; dataDir?: string } & Partial<AgentOptions>,
): Promise<RealAgent> {
  return startRealAgent(orch.url, { groupPassword: GROUP_PASSWORD, ...opts });
}

/** A `command` workflow running a fixture script with this Node. */
export function fixtureWorkflow(orch: TestOrchestrator, script: string, extra: Row = {}): string {
  const row = orch.workflow({
    name: script,
    clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, fixture(script)] }),
    ...extra,
  });
  return String(row['workflowid']);
}

/** Queues an Unattended session for a group, like RunDesktopFlow. */
export function queue(orch: TestOrchestrator, workflowId: string, groupId: string, values: Row = {}): string {
  const { inputs, ...rest } = values;
  return orch.session(workflowId, {
    _machinegroupid_value: groupId,
    name: 'e2e',
    ...(inputs === undefined ? {} : { inputs: typeof inputs === 'string' ? inputs : JSON.stringify(inputs) }),
    ...rest,
  });
}

export async function waitForStatus(orch: TestOrchestrator, id: string, statuscode: number, timeoutMs = 15_000): Promise<Row> {
  return waitFor(() => (Number(orch.get(id)['statuscode']) === statuscode ? orch.get(id) : undefined), {
    what: `session ${id} to reach status ${statuscode} (now ${String(orch.get(id)['statuscode'])}, ${String(orch.get(id)['errorcode'] ?? '')})`,
    timeoutMs,
  });
}

export async function waitForEnd(orch: TestOrchestrator, id: string, timeoutMs = 15_000): Promise<Row> {
  return waitFor(() => (isTerminalStatus(Number(orch.get(id)['statuscode'])) ? orch.get(id) : undefined), { what: `session ${id} to end`, timeoutMs });
}

/** The flow's own output lines as the orchestrator stored them (flowlog rows of the stdout stream), in seq order. */
export function stdoutLogs(orch: TestOrchestrator, sessionId: string): string[] {
  return orch.store.logs
    .forSession(sessionId)
    .filter((r) => r.name === 'stdout')
    .map((r) => (JSON.parse(String(r['data'])) as { message: string }).message);
}

/** Whether a process exists (signal 0). */
export const alive = processExists;
