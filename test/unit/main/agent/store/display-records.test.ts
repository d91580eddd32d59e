import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { makeAssign } from '../../../../support/agent-assign.js';
import { tempDir } from '../../../../support/temp-dir.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('AgentStore: display servers and screenshots', () => {
  it('keeps a display server record across a reopen until it is forgotten', () => {
    const file = join(tempDir(), 'agent.db');
    let store = AgentStore.open(file);
    store.displays.recordServer('s1', 4242);
    store.displays.recordServer('s2', 4343);
    store.close();
    store = AgentStore.open(file);
    try {
      expect(store.displays.servers()).toEqual([
        { sessionId: 's1', pid: 4242 },
        { sessionId: 's2', pid: 4343 },
      ]);
      store.displays.forgetServer('s1');
      expect(store.displays.servers()).toEqual([{ sessionId: 's2', pid: 4343 }]);
    } finally {
      store.close();
    }
  });

  it('keeps a session screenshot byte for byte, and prunes it with the logs of its completed session', () => {
    let clock = new Date('2030-01-01T00:00:00Z');
    const store = AgentStore.open(join(tempDir(), 'agent.db'), { now: () => clock });
    try {
      const ids = [makeAssign(), makeAssign()].map((a) => {
        store.recordAssignment(a);
        store.markConfirmed(a.session.flowsessionid);
        store.markRunning(a.session.flowsessionid, { startedon: clock.toISOString() });
        store.displays.saveScreenshot(a.session.flowsessionid, clock.toISOString(), PNG);
        return a.session.flowsessionid;
      });
      const [done, live] = ids as [string, string];
      store.complete(done, { statuscode: 8, completedon: clock.toISOString() });
      expect(store.displays.screenshot(done)).toEqual({ sessionId: done, takenon: clock.toISOString(), png: PNG });
      store.ackUpTo(store.lastSeq());
      clock = new Date(clock.getTime() + 10_000);
      store.prune({ maxAgeMs: 60_000 });
      expect(store.displays.screenshot(done)).toBeDefined(); // too young
      store.prune({ maxAgeMs: 1000 });
      expect(store.displays.screenshot(done)).toBeUndefined();
      expect(store.displays.screenshot(live)?.png).toEqual(PNG); // a running session keeps its picture
    } finally {
      store.close();
    }
  });
});
