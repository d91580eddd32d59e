import { expect } from 'vitest';
import { registerMachine } from '../../../support/fake-agent.js';
import type { TestOrchestrator } from '../../../support/orchestrator-harness.js';

export const GROUP_PASSWORD = 'group-password-1';
export const commandFlow = (argv: string[] = ['true']): string => JSON.stringify({ schemaversion: 1, kind: 'command', argv });

/** The id at the end of an `OData-EntityId` header. */
export function entityId(headers: Headers): string {
  const m = /\(([0-9a-f-]{36})\)$/.exec(headers.get('odata-entityid') ?? '');
  if (!m) throw new Error(`no OData-EntityId header: ${headers.get('odata-entityid')}`);
  return m[1]!;
}

export async function createGroup(o: TestOrchestrator, name = 'g1'): Promise<string> {
  const res = await o.api('POST', 'flowmachinegroups', { name, password: GROUP_PASSWORD });
  expect(res.status, res.text).toBe(204);
  return entityId(res.headers);
}

export async function createWorkflow(o: TestOrchestrator, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await o.api('POST', 'workflows', { name: 'wf', clientdata: commandFlow(), ...extra });
  expect(res.status, res.text).toBe(204);
  return entityId(res.headers);
}

/** Registers a machine through the agent gateway (machines are never created through the Web API). */
export async function createMachine(o: TestOrchestrator, group = 'g1', name = 'm1'): Promise<string> {
  const reg = await registerMachine(o.url, { group, password: GROUP_PASSWORD, name });
  return reg.flowmachineid;
}

export async function runFlow(o: TestOrchestrator, workflowId: string, body: Record<string, unknown>): Promise<string> {
  const res = await o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', ...body });
  expect(res.status, res.text).toBe(200);
  return (res.json as { flowsessionId: string }).flowsessionId;
}

/**
 * The `{"error":{code,message,innererror:{code}}}` body of a failed call, checked for shape: `code` as on the wire
 * (Dataverse's hex code where it has one), `reason` flowhost's own (innererror.code).
 */
export function apiError(res: { status: number; json: unknown; text: string }): { code: string; reason: string; message: string } {
  const body = res.json as { error?: { code?: unknown; message?: unknown; innererror?: { code?: unknown } } };
  expect(typeof body?.error?.code, res.text).toBe('string');
  expect(typeof body?.error?.message, res.text).toBe('string');
  expect(typeof body?.error?.innererror?.code, res.text).toBe('string');
  const error = body.error as { code: string; message: string; innererror: { code: string } };
  return { code: error.code, reason: error.innererror.code, message: error.message };
}
