import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { flowmachineEntity } from '../../shared/records/index.js';
import { alive, fixtureWorkflow, queue, startAgent, startOrchestrator, stdoutLogs, waitForEnd, waitForStatus } from './e2e-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

async function setup() {
  const orch = disposeAfterTest(await startOrchestrator());
  const g = String(orch.group('g1')['flowmachinegroupid']);
  const a = disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'ctl', capacity: 2 }));
  return { o: orch, g, a };
}

describe('e2e: session control', () => {
  it('cancels a running session: Cancelled, and its whole process tree is gone', async () => {
    const { o, g } = await setup();
    const id = queue(o, fixtureWorkflow(o, 'tree.mjs'), g);
    const line = await waitFor(() => stdoutLogs(o, id).find((l) => l.startsWith('pids ')), { what: 'the pids line' });
    const pids = line.split(' ').slice(1).map(Number);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    o.gateway.queue.cancel(id);
    const end = await waitForEnd(o, id);
    expect(end).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    await waitFor(() => !pids.some(alive), { what: 'flow and grandchild to be gone', timeoutMs: 5000 });
  });

  it('a run past its timeout ends TimedOut', async () => {
    const { o, g } = await setup();
    const id = queue(o, fixtureWorkflow(o, 'ticker.mjs'), g, { timeout: 1, inputs: { everyMs: 50 } });
    const end = await waitForEnd(o, id, 10_000);
    expect(end).toMatchObject({ statuscode: 10, errorcode: 'RunTimeout' });
    expect(stdoutLogs(o, id).length).toBeGreaterThan(0);
  });

  it('pauses and resumes a running session: Paused with its process group stopped, then Running to the end', async () => {
    const { o, g, a } = await setup();
    const id = queue(o, fixtureWorkflow(o, 'ticker.mjs'), g, { inputs: { everyMs: 20, ticks: 60, printPid: true } });
    await waitFor(() => stdoutLogs(o, id).length >= 3, { what: 'first ticks' });
    const pid = Number(stdoutLogs(o, id)[0]!.split(' ')[1]);
    expect(o.gateway.control.pauseSession(id)).toBe(true);
    await waitForStatus(o, id, 1);
    await waitFor(() => procState(pid) === 'T', { what: 'the flow process to be stopped (SIGSTOP)' });
    expect(a.agent.state().sessions.find((s) => s.sessionId === id)?.stage).toBe('paused');
    expect(stdoutLogs(o, id).length).toBeLessThan(60);
    expect(o.gateway.control.resumeSession(id)).toBe(true);
    const end = await waitForEnd(o, id, 15_000);
    expect(end['statuscode']).toBe(4);
    expect(stdoutLogs(o, id)).toEqual([`pid ${pid}`, ...Array.from({ length: 60 }, (_, i) => `tick ${i + 1}`)]);
  });

  it('a paused machine takes no new work until resumed', async () => {
    const { o, g, a } = await setup();
    expect(o.gateway.control.pauseMachine(a.machineId)).toBe(true);
    // The orchestrator learns it from the agent's `state` frame (an offer racing it would be rejected AgentPaused).
    await waitFor(() => o.store.get(flowmachineEntity, a.machineId)?.['paused'] === true, { what: 'orchestrator to see the pause' });
    expect(a.agent.state().scheduling.paused).toBe(true);
    const id = queue(o, fixtureWorkflow(o, 'lines.mjs'), g, { inputs: { lines: 1 } });
    await waitFor(() => o.get(id)['queuereason'], { what: 'a queue reason' });
    expect(Number(o.get(id)['statuscode'])).toBe(3);
    expect(o.gateway.control.resumeMachine(a.machineId)).toBe(true);
    expect((await waitForEnd(o, id))['statuscode']).toBe(4);
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
