import { describe, expect, it } from 'vitest';
import { flowmachineEntity } from '../../shared/records/index.js';
import { alive, fixtureWorkflow, queue, startAgent, startOrchestrator, stdoutLogs, waitForEnd, waitForStatus } from './e2e-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

async function setup(name: string) {
  const orch = disposeAfterTest(await startOrchestrator());
  const g = String(orch.group('g1')['flowmachinegroupid']);
  const a = disposeAfterTest(await startAgent(orch, { group: 'g1', name, capacity: 2 }));
  return { o: orch, g, a };
}

describe('e2e: agent lifecycle', () => {
  it('drain lets the running session finish within the grace, reports it upstream, then stops', async () => {
    const { o, g, a } = await setup('drainer');
    const id = queue(o, fixtureWorkflow(o, 'ticker.mjs'), g, { inputs: { everyMs: 20, ticks: 40 } });
    await waitForStatus(o, id, 2);
    await a.agent.drain(10_000);
    // drain() resolved only after the completion was acked: the orchestrator already has it.
    expect(o.get(id)['statuscode']).toBe(4);
    expect(stdoutLogs(o, id)).toHaveLength(40);
    expect(() => a.agent.state()).toThrow(/not started/);
  });

  it('drain cancels what outlives the grace, and the orchestrator sees Cancelled', async () => {
    const { o, g, a } = await setup('impatient');
    const id = queue(o, fixtureWorkflow(o, 'ticker.mjs'), g, { inputs: { everyMs: 50 } });
    await waitForStatus(o, id, 2);
    await a.agent.drain(200);
    expect(o.get(id)).toMatchObject({ statuscode: 7 });
  });

  it('a drained machine refuses new work before it stops (draining is visible upstream)', async () => {
    const { o, g, a } = await setup('drain-visible');
    const running = queue(o, fixtureWorkflow(o, 'ticker.mjs'), g, { inputs: { everyMs: 50, ticks: 30 } });
    await waitForStatus(o, running, 2);
    const drained = a.agent.drain(10_000);
    await waitFor(() => o.store.get(flowmachineEntity, a.machineId)?.['draining'] === true, { what: 'orchestrator to see draining' });
    const next = queue(o, fixtureWorkflow(o, 'lines.mjs'), g, { inputs: { lines: 1 } });
    await drained;
    expect(o.get(running)['statuscode']).toBe(4);
    expect(o.get(next)['statuscode']).toBe(3);
  });

  it('a deactivated machine is refused (4005): the agent stops reconnecting and says why', async () => {
    const { o, a } = await setup('revoked');
    o.store.update(flowmachineEntity, a.machineId, { statecode: 1 });
    o.gateway.queue.machineChanged(a.machineId);
    await waitFor(() => a.agent.state().connection.status === 'refused', { what: 'refused' });
    expect(a.agent.state().connection.error).toMatch(/revoked/);
  });

  it('a restarted agent reuses its credential and data dir, and aborts the run its predecessor left', async () => {
    const { o, g, a } = await setup('phoenix');
    const id = queue(o, fixtureWorkflow(o, 'tree.mjs'), g);
    const line = await waitFor(() => stdoutLogs(o, id).find((l) => l.startsWith('pids ')), { what: 'the pids line' });
    await a.agent.stop();
    const again = disposeAfterTest(await startAgent(o, { group: 'g1', name: 'phoenix', capacity: 2, dataDir: a.dataDir }));
    expect(again.machineId).toBe(a.machineId);
    const end = await waitForEnd(o, id);
    expect(end).toMatchObject({ statuscode: 11, errorcode: 'AgentRestarted' });
    // The predecessor's process group was killed at recovery, grandchild included.
    const pids = line.split(' ').slice(1).map(Number);
    await waitFor(() => !pids.some(alive), { what: 'the orphaned flow tree to be gone', timeoutMs: 5000 });
  });
});
