import { describe, expect, it } from 'vitest';
import { flowmachinegroupEntity } from '../../shared/records/index.js';
import { startCallbackReceiver, verifyReceived } from '../support/callback-receiver.js';
import { fixtureWorkflow, queue, startAgent, startOrchestrator, stdoutLogs } from './e2e-harness.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

describe('e2e: the main job', () => {
  it('queues a session and sees it go Waiting → Running → Succeeded with outputs, logs, CPU/RAM and a callback', async () => {
    const orch = disposeAfterTest(await startOrchestrator());
    const receiver = disposeAfterTest(await startCallbackReceiver());
    const group = String(orch.group('g1')['flowmachinegroupid']);
    const a = disposeAfterTest(await startAgent(orch, { group: 'g1', name: 'a1' }));
    const wf = fixtureWorkflow(orch, 'lines.mjs', {
      outputschema: JSON.stringify({ type: 'object', properties: { greeting: { type: 'string' }, lines: { type: 'integer' } }, required: ['greeting'] }),
    });
    const id = queue(orch, wf, group, { inputs: { lines: 5, name: 'e2e', busyMs: 1500 }, callbackurl: receiver.url('/done') });
    const seen = new Set<number>();
    const end = await waitFor(
      () => {
        const row = orch.get(id);
        seen.add(Number(row['statuscode']));
        return [4, 5, 7, 8, 9, 10, 11].includes(Number(row['statuscode'])) ? row : undefined;
      },
      { what: 'session to end', timeoutMs: 20_000, intervalMs: 10 },
    );
    expect(end).toMatchObject({ statuscode: 4, statecode: 0, _machineid_value: a.machineId });
    expect([...seen]).toContain(4);
    expect(seen.has(3) || seen.has(2)).toBe(true);
    expect(JSON.parse(String(end['outputs']))).toEqual({ greeting: 'hello e2e', lines: 5 });
    expect(end['startedon']).toBeTruthy();
    expect(end['completedon']).toBeTruthy();
    // The flow spun a core for 1.5 s: the figures are recorded (not null) and show it.
    expect(end['machinepercentcpuusage']).toEqual(expect.any(Number));
    expect(end['machinepercentcpuusage']).toBeGreaterThan(0);
    expect(end['machinepercentramusage']).toBeGreaterThan(0);
    expect(end['machineramusage']).toBeGreaterThan(0);
    expect(stdoutLogs(orch, id)).toEqual([1, 2, 3, 4, 5].map((i) => `line ${i} of 5`));

    const [callback] = await waitFor(() => receiver.to('/done').length > 0 && receiver.to('/done'), { what: 'the callback' });
    const body = JSON.parse(callback!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ flowsessionid: id, statuscode: 4, statecode: 0, outputs: { greeting: 'hello e2e', lines: 5 } });
    expect(callback!.headers['idempotency-key']).toBe(id);
    const groupSecret = String(orch.store.get(flowmachinegroupEntity, group)!['callbacksecret']);
    expect(verifyReceived(callback!, [groupSecret])).toMatchObject({ ok: true, signer: a.machineId });
    await waitFor(() => a.agent.state().backlog.callbacks === 0 && a.agent.state().backlog.events === 0, { what: 'outbox to empty' });
  });
});
