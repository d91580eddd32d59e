import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sampler } from '../../../../main/agent/runner/sampler.js';
import { LINUX, skipUnlessOn } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';
import { makeAssign } from '../../../support/agent-assign.js';
import { createHarness, fixture, processGone, type Harness } from './host-harness.js';

let h: Harness;
beforeEach(() => (h = createHarness()));
afterEach(() => h.close());

const tree = (arg?: string) => ({ schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, fixture('flow-tree.mjs'), ...(arg ? [arg] : [])] });

async function pidsOf(id: string): Promise<[number, number]> {
  const line = await waitFor(() => h.logText(id).find((l) => l.startsWith('pids ')), { what: 'the fixture to print its pids' });
  const [, child, grandchild] = line.split(' ').map(Number);
  return [child as number, grandchild as number];
}

/** Process state letter from /proc (T = stopped). */
const stateOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
};

describe('SessionHost: control', () => {
  it('cancel sends SIGTERM to the whole process group → Cancelled, child and grandchild gone', async () => {
    const { id, done } = h.start({ flow: tree() });
    const [child, grandchild] = await pidsOf(id);
    h.host.cancel(id, 'cancelled');
    h.host.cancel(id, 'timeout'); // idempotent: the first reason wins
    const s = await done;
    expect(s).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
    // The kernel finishes a signalled process asynchronously: wait (bounded) for both to be gone.
    await waitFor(() => processGone(child) && processGone(grandchild), { timeoutMs: 2000, what: 'child and grandchild to be gone' });
    expect(h.host.runningCount()).toBe(0);
  });

  it('SIGKILLs the group after the grace when the flow ignores SIGTERM', async () => {
    const { id, done } = h.start({ flow: tree('stubborn') });
    const [child, grandchild] = await pidsOf(id);
    h.host.cancel(id, 'cancelled');
    await waitFor(() => h.logText(id).includes('child ignores SIGTERM'), { what: 'the SIGTERM to arrive' });
    expect(await done).toMatchObject({ statuscode: 7 });
    await waitFor(() => processGone(child) && processGone(grandchild), { timeoutMs: 2000, what: 'child and grandchild to be gone' });
  });

  it('times out after session.timeout → TimedOut (RunTimeout)', async () => {
    const { id, done } = h.start({ flow: tree(), session: { timeout: 1 } });
    const [, grandchild] = await pidsOf(id);
    const s = await done;
    expect(s).toMatchObject({ statuscode: 10, errorcode: 'RunTimeout' });
    await waitFor(() => processGone(grandchild), { timeoutMs: 2000, what: 'the grandchild to be gone' });
    expect(h.logText(id)).toContain('run timeout reached: stopping the flow');
  });

  it.skipIf(skipUnlessOn(LINUX, 'SIGSTOP/SIGCONT, process states from /proc'))('pauses (SIGSTOP, statuscode 1) and resumes (SIGCONT, statuscode 2) a running flow', async () => {
    const counter = join(h.dir, 'counter');
    const read = () => Number(readFileSync(counter, 'utf8') || 0);
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('flow-ticker.mjs'), counter] } });
    await waitFor(() => read() >= 3, { what: 'the ticker to make progress' });
    const pid = h.store.getSession(id)?.pid as number;
    h.host.pause(id);
    expect(h.store.getSession(id)).toMatchObject({ stage: 'paused', statuscode: 1 });
    await waitFor(() => stateOf(pid) === 'T', { what: 'the flow to be stopped' });
    const frozen = read();
    // A negative claim needs an observation window: 20 ticks of the fixture's interval.
    await new Promise((r) => setTimeout(r, 200));
    expect(read()).toBe(frozen);
    h.host.resume(id);
    expect(h.store.getSession(id)).toMatchObject({ stage: 'running', statuscode: 2 });
    await waitFor(() => read() > frozen + 2, { what: 'the ticker to go on after resume' });
    h.host.pause(id);
    h.host.cancel(id, 'cancelled'); // a paused flow can be cancelled (SIGTERM + SIGCONT)
    expect(await done).toMatchObject({ statuscode: 7 });
    const statuses = h.store.eventsAfter(0, 1000).flatMap((e) => (e.kind === 'status' ? [e.statuscode] : []));
    expect(statuses).toEqual([1, 2, 1]);
  });

  it('cancels a confirmed session that has not started at once', () => {
    const a = makeAssign();
    const id = a.session.flowsessionid;
    h.store.recordAssignment(a);
    h.store.markConfirmed(id);
    h.host.cancel(id, 'cancelled');
    expect(h.store.getSession(id)).toMatchObject({ stage: 'completed', statuscode: 7, errorcode: 'Cancelled' });
  });

  it('a cancel that comes while the start is being made durable ends the session without spawning its flow', async () => {
    const marker = join(h.dir, 'ran');
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`] } });
    expect(h.store.getSession(id)?.stage).toBe('running'); // committed, its fsync under way
    h.host.cancel(id, 'cancelled');
    expect(await done).toMatchObject({ statuscode: 7, errorcode: 'Cancelled', errormessage: 'the session was cancelled before its flow started' });
    expect(existsSync(marker)).toBe(false);
    expect(h.store.eventsAfter(0, 100).map((e) => e.kind)).toEqual(['started', 'log', 'completed']);
  });

  it('applies retention after completions at most once per pruneEveryMs (it counts every stored log line)', async () => {
    const linesOfFirstAfterSecond = async (pruneEveryMs: number): Promise<string[]> => {
      const pruning = createHarness({ retention: { maxAgeMs: 0 }, pruneEveryMs });
      try {
        const first = pruning.start();
        await first.done; // retention ran here, with nothing acked yet
        pruning.store.ackUpTo(pruning.store.lastSeq());
        await pruning.start().done;
        return pruning.logText(first.id);
      } finally {
        pruning.close();
      }
    };
    expect(await linesOfFirstAfterSecond(60_000)).toEqual(['hi']);
    expect(await linesOfFirstAfterSecond(0)).toEqual([]);
  });

  it('recover() aborts sessions a previous agent was running and kills their leftover group', async () => {
    const a = makeAssign();
    const id = a.session.flowsessionid;
    h.store.recordAssignment(a);
    h.store.markConfirmed(id);
    h.store.markRunning(id, { startedon: new Date().toISOString() });
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore', env: { ...process.env, FLOWHOST_SESSION_ID: id } });
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    h.store.recordPid(id, orphan.pid as number);
    const waiting = makeAssign();
    h.store.recordAssignment(waiting);
    h.store.markConfirmed(waiting.session.flowsessionid);

    h.host.recover();
    expect(h.store.getSession(id)).toMatchObject({ stage: 'completed', statuscode: 11, errorcode: 'AgentRestarted' });
    expect(await exited).toBeNull(); // killed by a signal
    expect(h.host.runningCount()).toBe(1); // the confirmed, never started one runs now
    await h.host.completion(waiting.session.flowsessionid);
  });

  it('drain() lets sessions finish within the grace, then cancels the rest', async () => {
    const quick = h.start();
    const slow = h.start({ flow: tree() });
    await pidsOf(slow.id);
    await h.host.drain(300);
    expect((await quick.done).statuscode).toBe(4);
    expect((await slow.done).statuscode).toBe(7);
    expect(h.host.runningCount()).toBe(0);
  });

  it('announces each sample at once and keeps the ones not yet stored as live samples', async () => {
    let reads = 0;
    const sampler = new Sampler({ intervalMs: 20, machine: async () => ({ cpuPercent: ++reads, ramUsedMb: 1000, ramPercent: 50 }) });
    const sampled = createHarness({ sampler, sampleBatch: 3 });
    try {
      const seen: number[][] = [];
      const announced = new Promise<void>((resolve) =>
        sampled.host.onSample(() => {
          seen.push(sampled.host.liveSamples(id).map((x) => x.machineCpuPercent));
          if (seen.length === 4) resolve();
        }),
      );
      const { id, done } = sampled.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('flow-ticker.mjs'), join(sampled.dir, 'counter')] } });
      await announced;
      // Batches of 3: the third sample goes to the store and leaves no live ones; the fourth starts the next batch.
      expect(seen.slice(0, 4)).toEqual([[1], [1, 2], [], [4]]);
      expect(sampled.store.eventsAfter(0, 100).filter((e) => e.kind === 'sample').map((e) => e.kind === 'sample' && e.samples.length)).toEqual([3]);
      sampled.host.cancel(id, 'cancelled');
      await done;
      expect(sampled.host.liveSamples(id)).toEqual([]);
    } finally {
      sampled.close();
    }
  });

  it('samples while a session runs and sets the machine figures at completion', async () => {
    let reads = 0;
    const sampler = new Sampler({ intervalMs: 20, machine: async () => ({ cpuPercent: 10 + (reads++ % 2) * 20, ramUsedMb: 1000 + reads, ramPercent: 50 }) });
    const sampled = createHarness({ sampler, sampleBatch: 3 });
    try {
      const counter = join(sampled.dir, 'counter');
      const { id, done } = sampled.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('flow-ticker.mjs'), counter] } });
      await waitFor(() => sampler.active, { what: 'the flow spawned and tracked (after its start is durable)' });
      await waitFor(() => sampled.store.eventsAfter(0, 100).some((e) => e.kind === 'sample' && e.samples.some((x) => (x.processRssMb ?? 0) > 0)), { what: 'a sample with the process RSS' });
      const stored = sampled.store.eventsAfter(0, 100).flatMap((e) => (e.kind === 'sample' ? e.samples : []));
      expect(stored.map((x) => x.machineRamPercent)).toEqual(stored.map(() => 50));
      sampled.host.cancel(id, 'cancelled');
      const s = await done;
      expect(sampler.active).toBe(false);
      expect(s.machinepercentcpuusage).toBeGreaterThanOrEqual(10);
      expect(s.machinepercentcpuusage).toBeLessThanOrEqual(30);
      expect(s.machinepercentramusage).toBe(50);
      expect(s.machineramusage).toBeGreaterThan(1000);
    } finally {
      sampled.close();
    }
  });
});
