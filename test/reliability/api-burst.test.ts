import { afterEach, describe, expect, it } from 'vitest';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { OrchestratorProcess } from '../support/orchestrator-process.js';
import { BURST_CYCLE, burstKinds, sendBurst } from './support/api-burst-load.js';

/**
 * A burst of 10,000 Web API requests (100 in flight, keep-alive) against the real orchestrator in a child process:
 * collection GETs with $filter, GETs by id, session creation (RunDesktopFlow), bad bodies, bad filters, missing
 * token, unknown ids. Every answer has the status its kind calls for; a real agent runs a session queued during the
 * burst and another one after it. Its rate, latency and the orchestrator's RSS are measured by the api-burst bench.
 */
const TOKEN = 'burst-admin-token-0123456789';
const PASSWORD = 'group-password-1';
const TOTAL = 10_000;
const IN_FLIGHT = 100;

let orch: OrchestratorProcess | undefined;
let agent: RealAgent | undefined;
afterEach(async () => {
  await agent?.dispose();
  await orch?.stop();
  agent = undefined;
  orch = undefined;
});

async function runSession(o: OrchestratorProcess, workflowId: string, groupId: string): Promise<string> {
  const res = await o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', machineGroupId: groupId });
  expect(res.status, res.text).toBe(200);
  return String(res.json.flowsessionId);
}

const statusOf = async (o: OrchestratorProcess, id: string): Promise<number> => Number((await o.api('GET', `flowsessions(${id})?$select=statuscode`)).json?.statuscode);

describe('hostile input: a burst of 10,000 API requests', () => {
  it(`${TOTAL} mixed requests, ${IN_FLIGHT} in flight: right statuses, a good agent keeps running sessions`, async () => {
    orch = await OrchestratorProcess.start({ dataDir: tempDir('flowhost-burst-'), adminToken: TOKEN, gateway: { heartbeatIntervalMs: 500 } });
    const o = orch;
    const created = async (set: string, body: unknown): Promise<string> => {
      const res = await o.api('POST', set, body, { prefer: 'return=representation' });
      expect(res.status, res.text).toBe(201);
      return String(res.json[`${set.slice(0, -1)}id`]);
    };
    const group = await created('flowmachinegroups', { name: 'workers', password: PASSWORD });
    // Sessions created by the burst go to a group without machines: they wait, the worker stays free for the probes.
    const parked = await created('flowmachinegroups', { name: 'parked', password: PASSWORD });
    const workflow = await created('workflows', { name: 'hello', clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', 'console.log("hi")'] }) });
    agent = await startRealAgent(o.url, { group: 'workers', groupPassword: PASSWORD, name: 'worker' });

    const kinds = burstKinds({ workflow, group, parked });
    const CREATES = TOTAL / BURST_CYCLE;

    const duringBurst = runSession(o, workflow, group);
    const answers = await sendBurst(o.url, TOKEN, kinds, TOTAL, IN_FLIGHT);
    const wrong = answers.filter((a) => a.status !== a.kind.expect).map((a) => `${a.kind.name}: ${a.status} (expected ${a.kind.expect})`);

    expect(wrong.slice(0, 10)).toEqual([]);
    expect(answers).toHaveLength(TOTAL);
    const probeId = await duringBurst;
    await waitFor(async () => (await statusOf(o, probeId)) === 4, { what: 'the session queued during the burst to succeed', timeoutMs: 20_000 });
    const afterId = await runSession(o, workflow, group);
    await waitFor(async () => (await statusOf(o, afterId)) === 4, { what: 'the session queued after the burst to succeed', timeoutMs: 20_000 });
    const created2 = Number((await o.api('GET', `flowsessions/$count?$filter=_machinegroupid_value%20eq%20${parked}`)).text);
    expect(created2).toBe(CREATES);
    expect(o.alive).toBe(true);
  }, 90_000);
});
