import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { MAX_SCREENSHOT_BYTES } from '../../../../../shared/protocol.js';
import { decodeAgentFrame } from '../../../../../shared/protocol-codec.js';
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

  it('a completed event as sent to an orchestrator that takes screenshots carries the picture (base64); none over MAX_SCREENSHOT_BYTES; other kinds unchanged', () => {
    const clock = new Date('2030-01-01T00:00:00Z');
    const store = AgentStore.open(join(tempDir(), 'agent.db'), { now: () => clock });
    try {
      const [small, big, without] = [makeAssign(), makeAssign(), makeAssign()].map((a) => {
        store.recordAssignment(a);
        store.markConfirmed(a.session.flowsessionid);
        store.markRunning(a.session.flowsessionid, { startedon: clock.toISOString() });
        return a.session.flowsessionid;
      }) as [string, string, string];
      store.displays.saveScreenshot(small, clock.toISOString(), PNG);
      store.displays.saveScreenshot(big, clock.toISOString(), Buffer.concat([PNG, Buffer.alloc(MAX_SCREENSHOT_BYTES)]));
      for (const id of [small, big, without]) store.complete(id, { statuscode: 8, completedon: clock.toISOString() });
      const stored = store.encodedEventsAfter(0, 100);
      const sent = stored.map((e) => store.displays.withScreenshot(e));
      const completed = (id: string) => sent.find((e) => e.kind === 'completed' && e.sessionId === id)!;
      const decoded = decodeAgentFrame(`{"type":"event","event":${completed(small).body}}`);
      expect(decoded).toMatchObject({ ok: true, frame: { event: { kind: 'completed', screenshot: { takenon: clock.toISOString(), png: PNG.toString('base64') } } } });
      expect(JSON.parse(completed(big).body)).not.toHaveProperty('screenshot');
      expect(JSON.parse(completed(without).body)).not.toHaveProperty('screenshot');
      expect(sent.filter((e) => e.kind !== 'completed')).toEqual(stored.filter((e) => e.kind !== 'completed'));
      // The outbox keeps the event without it: an orchestrator that does not take pictures gets the same seq as stored.
      expect(store.encodedEventsAfter(0, 100)).toEqual(stored);
      expect(stored.every((e) => !e.body.includes('"screenshot"'))).toBe(true);
    } finally {
      store.close();
    }
  });
});
