import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { QueueReason } from '../../shared/error-codes.js';
import { startStatusServer } from '../../main/agent/status/status-server.js';
import { readStatusToken } from '../../main/agent/status/status-token.js';
import { alive } from './e2e-harness.js';
import { apiOk, apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { LINUX, skipUnlessOn } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

async function setup() {
  const orch = disposeAfterTest(await startApiOrchestrator());
  const g = await createGroup(orch, 'g1');
  const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'ctl', capacity: 2 }));
  return { o: orch, g, a };
}

const cancel = (o: Awaited<ReturnType<typeof setup>>['o'], id: string) => o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);

describe('e2e: session control, as an operator reaches it (Web API, the agent status page)', () => {
  it('CancelDesktopFlowRun of a running session: Cancelled, and its whole process tree is gone', async () => {
    const { o, g } = await setup();
    const id = await runFlow(o, await createFixtureWorkflow(o, 'tree.mjs'), { machineGroupId: g });
    const line = await waitFor(async () => (await apiStdout(o, id)).find((l) => l.startsWith('pids ')), { what: 'the pids line' });
    const pids = line.split(' ').slice(1).map(Number);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    expect((await cancel(o, id)).status).toBe(204);
    const end = await waitForSessionEnd(o, id);
    expect(end).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    await waitFor(() => !pids.some(alive), { what: 'flow and grandchild to be gone', timeoutMs: 5000 });
  });

  it('a run past its timeout ends TimedOut', async () => {
    const { o, g } = await setup();
    const id = await runFlow(o, await createFixtureWorkflow(o, 'ticker.mjs'), { machineGroupId: g, timeout: 1, inputs: { everyMs: 50 } });
    const end = await waitForSessionEnd(o, id, 10_000);
    expect(end).toMatchObject({ statuscode: 10, errorcode: 'RunTimeout' });
    expect((await apiStdout(o, id)).length).toBeGreaterThan(0);
  });

  it('a machine paused from its status page takes no new work until resumed there', async () => {
    const { o, g, a } = await setup();
    const status = disposeAfterTest(await startStatusServer({ agent: a.agent, dataDir: a.dataDir }));
    const command = async (name: string, body: object = {}) => {
      const res = await fetch(`${status.url}/api/commands/${name}`, { method: 'POST', headers: { authorization: `Bearer ${readStatusToken(a.dataDir)!}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `${name}: ${await res.text()}`).toBe(200);
    };
    await command('agent:pause');
    // The orchestrator learns it from the agent's `state` frame (an offer racing it would be rejected AgentPaused).
    await waitFor(async () => (await apiOk(o, 'GET', `flowmachines(${a.machineId})?$select=paused`))['paused'] === true, { what: 'orchestrator to see the pause' });
    const id = await runFlow(o, await createFixtureWorkflow(o, 'lines.mjs'), { machineGroupId: g, inputs: { lines: 1 } });
    const waiting = await waitFor(async () => {
      const row = await getSession(o, id);
      return row['queuereason'] ? row : undefined;
    }, { what: 'a queue reason' });
    expect(waiting).toMatchObject({ statuscode: 3, queuereason: QueueReason.MachinesPausedOrDraining });
    await command('agent:resume');
    expect((await waitForSessionEnd(o, id))['statuscode']).toBe(4);
  });

  it.skipIf(skipUnlessOn(LINUX, 'SIGSTOP/SIGCONT, process states from /proc'))('PATCH statuscode Paused pauses a running session (its process group stopped), Running resumes it to the end; If-Match as for any PATCH', async () => {
    const { o, g, a } = await setup();
    const id = await runFlow(o, await createFixtureWorkflow(o, 'ticker.mjs'), { machineGroupId: g, inputs: { everyMs: 20, ticks: 60, printPid: true } });
    const patch = (body: object, headers?: Record<string, string>) => o.api('PATCH', `flowsessions(${id})`, body, headers);
    await waitFor(async () => (await apiStdout(o, id)).length >= 3, { what: 'first ticks' });
    const pid = Number((await apiStdout(o, id))[0]!.split(' ')[1]);
    expect((await patch({ statecode: 0, statuscode: 1 }, { 'if-match': 'W/"0"' })).status).toBe(412);
    expect((await patch({ statecode: 1, statuscode: 1 })).status).toBe(400); // Paused belongs to statecode Active
    expect((await patch({ statecode: 0, statuscode: 1 }, { 'if-match': '*' })).status).toBe(204);
    await waitFor(async () => (await getSession(o, id))['statuscode'] === 1, { what: 'the session to be Paused' });
    await waitFor(() => procState(pid) === 'T', { what: 'the flow process to be stopped (SIGSTOP)' });
    expect(a.agent.state().sessions.find((s) => s.sessionId === id)?.stage).toBe('paused');
    expect((await apiStdout(o, id)).length).toBeLessThan(60);
    expect((await patch({ statuscode: 1 })).status).toBe(204); // already Paused: nothing to do
    expect((await patch({ statuscode: 3 })).status).toBe(400); // Waiting is flowhost's to set
    expect((await patch({ statecode: 0, statuscode: 2 })).status).toBe(204);
    const end = await waitForSessionEnd(o, id, 15_000);
    expect(end['statuscode']).toBe(4);
    expect(await apiStdout(o, id)).toEqual([`pid ${pid}`, ...Array.from({ length: 60 }, (_, i) => `tick ${i + 1}`)]);
    const ended = await patch({ statuscode: 1 });
    expect(ended.status).toBe(400);
    expect(ended.json.error.message).toContain('is Succeeded: it has ended');
  });

  it('PATCH statuscode Cancelled of a running session cancels it like CancelDesktopFlowRun', async () => {
    const { o, g } = await setup();
    const id = await runFlow(o, await createFixtureWorkflow(o, 'ticker.mjs'), { machineGroupId: g, inputs: { everyMs: 50 } });
    await waitFor(async () => (await apiStdout(o, id)).length >= 1, { what: 'a first tick' });
    expect((await o.api('PATCH', `flowsessions(${id})`, { statecode: 0, statuscode: 7 })).status).toBe(204);
    expect(await waitForSessionEnd(o, id)).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
  });

  it('PATCH statecode Maintenance + statuscode DrainMode drains the agent until it restarts; 409 while it drains or when it is not connected', async () => {
    const { o, a } = await setup();
    const machine = `flowmachines(${a.machineId})`;
    expect((await o.api('PATCH', machine, { statecode: 2, statuscode: 5 })).status).toBe(204);
    await waitFor(() => a.agent.state().scheduling.draining, { what: 'the agent to drain' });
    await waitFor(async () => {
      const row = await apiOk(o, 'GET', `${machine}?$select=statecode,statuscode,draining`);
      return row['statuscode'] === 5 ? row : undefined;
    }, { what: 'the machine to show DrainMode' });
    const back = await o.api('PATCH', machine, { statecode: 0 });
    expect(back.status).toBe(409);
    expect(back.json.error.message).toContain('is draining');
    expect((await o.api('PATCH', machine, { statecode: 0, statuscode: 5 })).status).toBe(400); // DrainMode belongs to Maintenance
    await a.agent.stop();
    await waitFor(async () => (await apiOk(o, 'GET', `${machine}?$select=connected`))['connected'] === false, { what: 'the machine to be disconnected' });
    expect(await apiOk(o, 'GET', `${machine}?$select=statecode,statuscode`)).toMatchObject({ statecode: 2, statuscode: 4 });
    const offline = await o.api('PATCH', machine, { statuscode: 5 });
    expect(offline.status).toBe(409);
    expect(offline.json.error.message).toContain('not connected');
    expect((await o.api('PATCH', machine, { statecode: 0 })).status).toBe(204);
  });
});

/** POSIX process state letter from /proc (R, S, T = stopped …). */
function procState(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}
