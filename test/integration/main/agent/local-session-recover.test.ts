import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAssign } from '../../../support/agent-assign.js';
import { createHarness, type Harness } from './host-harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

/** The pid of a process that has exited (a child run to completion). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('SessionHost.recover and Local runs', () => {
  it("leaves a Local run whose flowhost run process lives alone, and aborts (never starts) one whose process is gone", async () => {
    h = createHarness();
    const live = makeAssign({ session: { runmode: 0 } });
    const orphanConfirmed = makeAssign({ session: { runmode: 0 } });
    const orphanRunning = makeAssign({ session: { runmode: 0 } });
    h.store.recordLocalSession(live, { ownerPid: process.ppid });
    h.store.markRunning(live.session.flowsessionid, { startedon: new Date().toISOString() });
    const gone = deadPid();
    h.store.recordLocalSession(orphanConfirmed, { ownerPid: gone });
    h.store.recordLocalSession(orphanRunning, { ownerPid: gone });
    h.store.markRunning(orphanRunning.session.flowsessionid, { startedon: new Date().toISOString() });

    h.host.recover();

    expect(h.store.getSession(live.session.flowsessionid)).toMatchObject({ stage: 'running', local: true });
    for (const a of [orphanConfirmed, orphanRunning]) {
      expect(h.store.getSession(a.session.flowsessionid)).toMatchObject({ stage: 'completed', statuscode: 11, errorcode: 'AgentRestarted' });
    }
    expect(h.host.runningCount()).toBe(0);
  });
});
