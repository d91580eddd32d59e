import { describe, expect, it } from 'vitest';
import { QueueReason } from '../../shared/error-codes.js';
import { fixtureWorkflow, queue, startAgent, startOrchestrator, waitForEnd, waitForStatus } from './e2e-harness.js';
import type { TestOrchestrator } from '../support/gateway-test-orchestrator.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

const groupId = (o: TestOrchestrator, name: string) => String(o.group(name)['flowmachinegroupid']);

describe('e2e: queue rules with real agents', () => {
  it('runs higher priority first, then FIFO, on a one-slot machine', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g = groupId(orch, 'g1');
    const wf = fixtureWorkflow(orch, 'lines.mjs');
    // Queued before any machine is connected, so the order is the queue's alone.
    const low = queue(orch, wf, g, { priority: 0, inputs: { lines: 1 } });
    const high = queue(orch, wf, g, { priority: 100, inputs: { lines: 1 } });
    const mid1 = queue(orch, wf, g, { priority: 50, inputs: { lines: 1 } });
    const mid2 = queue(orch, wf, g, { priority: 50, inputs: { lines: 1 } });
    disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'solo', capacity: 1 }));
    const ends = await Promise.all([high, mid1, mid2, low].map((id) => waitForEnd(orch, id, 20_000)));
    expect(ends.map((r) => r['statuscode'])).toEqual([4, 4, 4, 4]);
    const started = (id: string) => Date.parse(String(orch.get(id)['startedon']));
    expect(started(high)).toBeLessThanOrEqual(started(mid1));
    expect(started(mid1)).toBeLessThanOrEqual(started(mid2));
    expect(started(mid2)).toBeLessThanOrEqual(started(low));
    // One slot: each run started after the previous one completed.
    const completed = (id: string) => Date.parse(String(orch.get(id)['completedon']));
    expect(started(mid1)).toBeGreaterThanOrEqual(completed(high));
    expect(started(low)).toBeGreaterThanOrEqual(completed(mid2));
  });

  it('honours each machine capacity and keeps sessions within their group', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const g1 = groupId(orch, 'g1');
    const g2 = groupId(orch, 'g2');
    const big = await startAgent(orch, { group: 'g1', name: 'big', capacity: 2 });
    const small = await startAgent(orch, { group: 'g2', name: 'small', capacity: 1 });
    disposeAfterTest(big);
    disposeAfterTest(small);
    const wf = fixtureWorkflow(orch, 'ticker.mjs');
    const g1Sessions = [0, 1, 2].map(() => queue(orch, wf, g1, { inputs: { everyMs: 100 } }));
    const g2Sessions = [0, 1].map(() => queue(orch, wf, g2, { inputs: { everyMs: 100 } }));
    const running = (ids: string[]) => ids.filter((id) => Number(orch.get(id)['statuscode']) === 2);
    await waitFor(() => running(g1Sessions).length === 2 && running(g2Sessions).length === 1, { what: '2 + 1 running' });
    expect(big.agent.state().scheduling.freeSlots).toBe(0);
    expect(small.agent.state().scheduling.freeSlots).toBe(0);
    for (const id of running(g1Sessions)) expect(orch.get(id)['_machineid_value']).toBe(big.machineId);
    for (const id of running(g2Sessions)) expect(orch.get(id)['_machineid_value']).toBe(small.machineId);
    const waiting = g1Sessions.find((id) => Number(orch.get(id)['statuscode']) === 3)!;
    expect(orch.get(waiting)['queuereason']).toBe(QueueReason.AllMachinesBusy);
    // A slot frees up: the waiting session of g1 takes it, on the g1 machine.
    orch.gateway.queue.cancel(running(g1Sessions)[0]!);
    await waitForStatus(orch, waiting, 2);
    expect(orch.get(waiting)['_machineid_value']).toBe(big.machineId);
    for (const id of [...g1Sessions, ...g2Sessions]) orch.gateway.queue.cancel(id);
    await Promise.all([...g1Sessions, ...g2Sessions].map((id) => waitForEnd(orch, id)));
  });
});
