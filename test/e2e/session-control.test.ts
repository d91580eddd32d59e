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

  // No operator route pauses one session yet (no Web API verb, no CLI command): driven through the gateway's control.
  it.skipIf(skipUnlessOn(LINUX, 'SIGSTOP/SIGCONT, process states from /proc'))('pauses and resumes a running session: Paused with its process group stopped, then Running to the end', async () => {
    const { o, g, a } = await setup();
    const id = await runFlow(o, await createFixtureWorkflow(o, 'ticker.mjs'), { machineGroupId: g, inputs: { everyMs: 20, ticks: 60, printPid: true } });
    await waitFor(async () => (await apiStdout(o, id)).length >= 3, { what: 'first ticks' });
    const pid = Number((await apiStdout(o, id))[0]!.split(' ')[1]);
    expect(o.gateway.control.pauseSession(id)).toBe(true);
    await waitFor(async () => (await getSession(o, id))['statuscode'] === 1, { what: 'the session to be Paused' });
    await waitFor(() => procState(pid) === 'T', { what: 'the flow process to be stopped (SIGSTOP)' });
    expect(a.agent.state().sessions.find((s) => s.sessionId === id)?.stage).toBe('paused');
    expect((await apiStdout(o, id)).length).toBeLessThan(60);
    expect(o.gateway.control.resumeSession(id)).toBe(true);
    const end = await waitForSessionEnd(o, id, 15_000);
    expect(end['statuscode']).toBe(4);
    expect(await apiStdout(o, id)).toEqual([`pid ${pid}`, ...Array.from({ length: 60 }, (_, i) => `tick ${i + 1}`)]);
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
