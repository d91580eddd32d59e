import { describe, expect, it } from 'vitest';
import { QueueReason } from '../../shared/error-codes.js';
import { createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

const cancel = (o: TestOrchestrator, id: string) => o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);

describe('e2e: queue rules with real agents, through the Web API', () => {
  it('runs higher priority first, then FIFO, on a one-slot machine', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    // Queued before any machine is connected, so the order is the queue's alone.
    const run = (runPriority: number) => runFlow(orch, wf, { machineGroupId: g, runPriority, inputs: { lines: 1 } });
    const low = await run(0);
    const high = await run(100);
    const mid1 = await run(50);
    const mid2 = await run(50);
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'solo', capacity: 1 }));
    const ends = new Map<string, Row>();
    for (const id of [high, mid1, mid2, low]) ends.set(id, await waitForSessionEnd(orch, id, 20_000));
    expect([...ends.values()].map((r) => r['statuscode'])).toEqual([4, 4, 4, 4]);
    const started = (id: string) => Date.parse(String(ends.get(id)!['startedon']));
    const completed = (id: string) => Date.parse(String(ends.get(id)!['completedon']));
    // One slot: each run started after the previous one in priority, then FIFO, order completed.
    expect(started(mid1)).toBeGreaterThanOrEqual(completed(high));
    expect(started(mid2)).toBeGreaterThanOrEqual(completed(mid1));
    expect(started(low)).toBeGreaterThanOrEqual(completed(mid2));
  });

  it('honours each machine capacity and keeps sessions within their group', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g1 = await createGroup(orch, 'g1');
    const g2 = await createGroup(orch, 'g2');
    const big = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'big', capacity: 2 }));
    const small = disposeAfterTest(await startApiAgent(orch, { group: 'g2', name: 'small', capacity: 1 }));
    const wf = await createFixtureWorkflow(orch, 'ticker.mjs');
    const g1Sessions: string[] = [];
    const g2Sessions: string[] = [];
    for (let i = 0; i < 3; i++) g1Sessions.push(await runFlow(orch, wf, { machineGroupId: g1, inputs: { everyMs: 100 } }));
    for (let i = 0; i < 2; i++) g2Sessions.push(await runFlow(orch, wf, { machineGroupId: g2, inputs: { everyMs: 100 } }));
    const rows = async (ids: string[]) => Promise.all(ids.map((id) => getSession(orch, id)));
    const running = async (ids: string[]) => (await rows(ids)).filter((r) => r['statuscode'] === 2);
    await waitFor(async () => (await running(g1Sessions)).length === 2 && (await running(g2Sessions)).length === 1, { what: '2 + 1 running' });
    expect(big.agent.state().scheduling.freeSlots).toBe(0);
    expect(small.agent.state().scheduling.freeSlots).toBe(0);
    for (const r of await running(g1Sessions)) expect(r['_machineid_value']).toBe(big.machineId);
    for (const r of await running(g2Sessions)) expect(r['_machineid_value']).toBe(small.machineId);
    const waiting = (await rows(g1Sessions)).find((r) => r['statuscode'] === 3)!;
    expect(waiting['queuereason']).toBe(QueueReason.AllMachinesBusy);
    const waitingId = String(waiting['flowsessionid']);
    // A slot frees up: the waiting session of g1 takes it, on the g1 machine.
    expect((await cancel(orch, String((await running(g1Sessions))[0]!['flowsessionid']))).status).toBe(204);
    const taken = await waitFor(async () => {
      const row = await getSession(orch, waitingId);
      return row['statuscode'] === 2 && row;
    }, { what: 'the waiting session to run' });
    expect(taken['_machineid_value']).toBe(big.machineId);
    for (const id of [...g1Sessions, ...g2Sessions]) await cancel(orch, id);
    for (const id of [...g1Sessions, ...g2Sessions]) await waitForSessionEnd(orch, id);
  });
});
