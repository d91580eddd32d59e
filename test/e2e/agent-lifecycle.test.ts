import { describe, expect, it } from 'vitest';
import { alive } from './e2e-harness.js';
import { apiOk, apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

async function setup(name: string) {
  const orch = disposeAfterTest(await startApiOrchestrator());
  const g = await createGroup(orch, 'g1');
  const a = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name, capacity: 2 }));
  return { o: orch, g, a };
}

/** RunDesktopFlow of a fixture script into group `g`. */
const run = async (o: TestOrchestrator, g: string, script: string, inputs?: object) => runFlow(o, await createFixtureWorkflow(o, script), { machineGroupId: g, ...(inputs ? { inputs } : {}) });
const statusOf = async (o: TestOrchestrator, id: string) => (await getSession(o, id))['statuscode'];
const running = (o: TestOrchestrator, id: string) => waitFor(async () => (await statusOf(o, id)) === 2, { what: `session ${id} to run` });

describe('e2e: agent lifecycle', () => {
  it('drain lets the running session finish within the grace, reports it upstream, then stops', async () => {
    const { o, g, a } = await setup('drainer');
    const id = await run(o, g, 'ticker.mjs', { everyMs: 20, ticks: 40 });
    await running(o, id);
    await a.agent.drain(10_000);
    // drain() resolved only after the completion was acked: the orchestrator already has it.
    expect(await statusOf(o, id)).toBe(4);
    expect(await apiStdout(o, id)).toHaveLength(40);
    expect(() => a.agent.state()).toThrow(/not started/);
  });

  it('drain cancels what outlives the grace, and the orchestrator sees Cancelled', async () => {
    const { o, g, a } = await setup('impatient');
    const id = await run(o, g, 'ticker.mjs', { everyMs: 50 });
    await running(o, id);
    await a.agent.drain(200);
    expect(await statusOf(o, id)).toBe(7);
  });

  it('a drained machine refuses new work before it stops (draining is visible upstream)', async () => {
    const { o, g, a } = await setup('drain-visible');
    const first = await run(o, g, 'ticker.mjs', { everyMs: 50, ticks: 30 });
    await running(o, first);
    const drained = a.agent.drain(10_000);
    await waitFor(async () => (await apiOk(o, 'GET', `flowmachines(${a.machineId})?$select=draining`))['draining'] === true, { what: 'orchestrator to see draining' });
    const next = await run(o, g, 'lines.mjs', { lines: 1 });
    await drained;
    expect(await statusOf(o, first)).toBe(4);
    expect(await statusOf(o, next)).toBe(3);
  });

  it('a deactivated machine is refused (4005): the agent stops reconnecting and says why', async () => {
    const { o, a } = await setup('revoked');
    expect((await o.api('PATCH', `flowmachines(${a.machineId})`, { statecode: 1 })).status).toBe(204);
    await waitFor(() => a.agent.state().connection.status === 'refused', { what: 'refused' });
    expect(a.agent.state().connection.error).toMatch(/revoked/);
  });

  it('a restarted agent reuses its credential and data dir, and aborts the run its predecessor left', async () => {
    const { o, g, a } = await setup('phoenix');
    const id = await run(o, g, 'tree.mjs');
    const line = await waitFor(async () => (await apiStdout(o, id)).find((l) => l.startsWith('pids ')), { what: 'the pids line' });
    await a.agent.stop();
    const again = disposeAfterTest(await startApiAgent(o, { group: 'g1', name: 'phoenix', capacity: 2, dataDir: a.dataDir }));
    expect(again.machineId).toBe(a.machineId);
    const end = await waitForSessionEnd(o, id);
    expect(end).toMatchObject({ statuscode: 11, errorcode: 'AgentRestarted' });
    // The predecessor's process group was killed at recovery, grandchild included.
    const pids = line.split(' ').slice(1).map(Number);
    await waitFor(() => !pids.some(alive), { what: 'the orphaned flow tree to be gone', timeoutMs: 5000 });
  });
});
