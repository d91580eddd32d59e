import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flowlogEntity } from '../../shared/records/index.js';
import { fixtureWorkflow, queue, startAgent, waitForEnd, type E2EAgent } from '../e2e/e2e-harness.js';
import { TestOrchestrator } from '../integration/orchestrator/gateway/test-orchestrator.js';
import { waitFor } from '../support/wait-for.js';

/** A 4 MiB tmpfs as the agent's data dir (root only: `mount -t tmpfs`); undefined with the reason when not allowed. */
function smallTmpfs(): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'needs root to mount a small tmpfs (disk full / read-only data dir)' };
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    return { dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs is not permitted here: ${(err as Error).message}` };
  }
}
const mounted = smallTmpfs();
const skipReason = 'skip' in mounted ? mounted.skip : undefined;

let orch: TestOrchestrator | undefined;
let agent: E2EAgent | undefined;
afterEach(async () => {
  await agent?.agent.stop();
  await orch?.close();
  agent = undefined;
  orch = undefined;
  if ('dir' in mounted) {
    execFileSync('mount', ['-o', 'remount,rw', mounted.dir]);
    rmSync(join(mounted.dir, 'data'), { recursive: true, force: true });
  }
});
process.on('exit', () => {
  if ('dir' in mounted) execFileSync('umount', ['-l', mounted.dir]);
});

function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

async function setup(dataDir: string) {
  orch = await TestOrchestrator.start({ heartbeatIntervalMs: 200, rejectCooldownMs: 200 });
  orch.clock.now = () => new Date();
  await orch.restart();
  const g = String(orch.group('g1')['flowmachinegroupid']);
  agent = await startAgent(orch, { group: 'g1', name: 'disk', dataDir });
  // One finished session first: its committed events must survive the storage fault.
  const first = queue(orch, fixtureWorkflow(orch, 'lines.mjs'), g, { inputs: { lines: 20 } });
  expect((await waitForEnd(orch, first))['statuscode']).toBe(4);
  return { o: orch, g, a: agent };
}

describe.skipIf(skipReason !== undefined)(`storage faults on the agent's data dir${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const dir = 'dir' in mounted ? mounted.dir : '';

  it.each(['disk full', 'read-only'])('%s: the next assignment is rejected StorageUnavailable, the session stays queued, nothing committed is lost; after the fault it runs', async (fault) => {
    const dataDir = join(dir, 'data');
    const { o, g, a } = await setup(dataDir);
    if (fault === 'disk full') fillDisk(dir);
    else execFileSync('mount', ['-o', 'remount,ro', dir]);
    const id = queue(o, fixtureWorkflow(o, 'lines.mjs'), g, { inputs: { lines: 5 } });
    const failed = await waitFor(
      () => o.store.query(flowlogEntity, { where: `_flowsessionid_value = ? AND type = 100000005`, params: [id] })[0],
      { what: 'an AssignFailed flowlog' },
    );
    expect(String(failed['data'])).toContain('StorageUnavailable');
    expect(o.get(id)['statuscode']).toBe(3);
    expect(a.agent.state().scheduling.storageOk).toBe(false);
    await a.agent.stop();
    if (fault === 'disk full') rmSync(join(dir, 'filler'));
    else execFileSync('mount', ['-o', 'remount,rw', dir]);
    // A restarted agent on the same data dir runs the session that waited.
    agent = await startAgent(o, { group: 'g1', name: 'disk', dataDir });
    expect((await waitForEnd(o, id))['statuscode']).toBe(4);
  }, 40_000);
});
