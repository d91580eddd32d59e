import { isTerminalStatus } from '../../shared/option-sets.js';
import type { AgentOptions } from '../../main/agent/agent.js';
import { fileURLToPath } from 'node:url';
import { startTestOrchestrator, type TestOrchestrator, type TestOrchestratorOptions } from './orchestrator-harness.js';
import { startRealAgent, type RealAgent } from './real-agent.js';
import { waitFor } from './wait-for.js';

/**
 * The real orchestrator (startTestOrchestrator: Web API + gateway) with the end-to-end timings, driven over its Web
 * API with the admin token as a user would, and real agents registered over HTTP.
 */
export const API_GROUP_PASSWORD = 'group-password-e2e';

/** A flow script of test/e2e/fixtures/. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../e2e/fixtures/${name}`, import.meta.url));

export type Row = Record<string, unknown>;

/** Anything with the admin-token `api` of TestOrchestrator (also the orchestrator child process of test/reliability). */
export type ApiClient = Pick<TestOrchestrator, 'api'>;

/** `gateway` adds to or overrides the end-to-end gateway options (e.g. `features`, to pose as an older release). */
export async function startApiOrchestrator(gateway: NonNullable<TestOrchestratorOptions['gateway']> = {}): Promise<TestOrchestrator> {
  return startTestOrchestrator({ gateway: { queueTickMs: 20, heartbeatIntervalMs: 200, callbackAllowHosts: ['127.0.0.1'], callbackBaseDelayMs: 50, ...gateway } });
}

/** One call that must succeed (< 300); the returned representation. */
export async function apiOk(orch: ApiClient, method: string, path: string, body?: unknown): Promise<Row> {
  const res = await orch.api(method, path, body, { prefer: 'return=representation' });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
  return (res.json ?? {}) as Row;
}

export async function createGroup(orch: ApiClient, name: string): Promise<string> {
  const row = await apiOk(orch, 'POST', 'flowmachinegroups', { name, password: API_GROUP_PASSWORD, preferredqueuingtype: 1 });
  return String(row['flowmachinegroupid']);
}

/** A `command` workflow that runs a fixture script with this Node. */
export async function createFixtureWorkflow(orch: ApiClient, script: string, extra: Row = {}): Promise<string> {
  const row = await apiOk(orch, 'POST', 'workflows', {
    name: script,
    category: 6,
    clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, fixture(script)] }),
    ...extra,
  });
  return String(row['workflowid']);
}

export async function runFlow(orch: ApiClient, workflowId: string, body: Row): Promise<string> {
  const res = await orch.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', ...body });
  if (res.status !== 200) throw new Error(`RunDesktopFlow → ${res.status}: ${res.text}`);
  return String((res.json as Row)['flowsessionId']);
}

export async function getSession(orch: ApiClient, id: string): Promise<Row> {
  return apiOk(orch, 'GET', `flowsessions(${id})`);
}

export async function waitForSessionEnd(orch: ApiClient, id: string, timeoutMs = 20_000, seen?: Set<number>): Promise<Row> {
  return waitFor(
    async () => {
      const row = await getSession(orch, id);
      seen?.add(Number(row['statuscode']));
      return isTerminalStatus(Number(row['statuscode'])) ? row : undefined;
    },
    { what: `session ${id} to end`, timeoutMs, intervalMs: 20 },
  );
}

/** The flow's stdout lines as flowlog rows, in order, read through the API (following nextLink pages). */
export async function apiStdout(orch: ApiClient, id: string): Promise<string[]> {
  const out: string[] = [];
  let path = `flowlogs?$filter=_flowsessionid_value eq ${id} and name eq 'stdout'&$orderby=seq&$select=data,seq`;
  for (;;) {
    const page = await apiOk(orch, 'GET', path);
    for (const r of page['value'] as Row[]) out.push((JSON.parse(String(r['data'])) as { message: string }).message);
    const next = page['@odata.nextLink'];
    if (typeof next !== 'string') return out;
    path = new URL(next).pathname.replace('/api/data/v9.2/', '') + new URL(next).search;
  }
}

export type ApiAgent = RealAgent;

export function startApiAgent(orch: TestOrchestrator, opts: { group: string; name: string; capacity?: number } & Partial<AgentOptions>): Promise<ApiAgent> {
  return startRealAgent(orch.url, { groupPassword: API_GROUP_PASSWORD, ...opts });
}
