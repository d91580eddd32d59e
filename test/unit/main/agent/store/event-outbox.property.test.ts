import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { makeAssign } from '../../../../support/agent-assign.js';

type Op = { kind: 'log'; n: number } | { kind: 'ack'; back: number } | { kind: 'pause' } | { kind: 'reopen' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('log' as const), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('ack' as const), back: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('pause' as const) }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

it('hands out strictly increasing seqs and replays exactly the unacked events in order, across acks and reopens', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const dir = mkdtempSync(join(tmpdir(), 'outbox-prop-'));
      const file = join(dir, 'agent.db');
      let store = AgentStore.open(file);
      try {
        const a = makeAssign();
        const id = a.session.flowsessionid;
        store.recordAssignment(a);
        store.markConfirmed(id);
        store.markRunning(id, { startedon: new Date().toISOString() });
        let lineSeq = 0;
        let paused = false;
        let highest = store.lastSeq();
        for (const o of ops) {
          if (o.kind === 'log') store.appendLogLines(id, Array.from({ length: o.n }, () => ({ seq: lineSeq++, level: 100000001, stream: 'stdout' as const, at: new Date().toISOString(), message: 'x' })));
          if (o.kind === 'pause') store.setPaused(id, (paused = !paused));
          if (o.kind === 'ack') store.ackUpTo(Math.max(0, store.lastSeq() - o.back));
          if (o.kind === 'reopen') {
            store.close();
            store = AgentStore.open(file);
          }
          expect(store.lastSeq()).toBeGreaterThanOrEqual(highest);
          highest = store.lastSeq();
        }
        const acked = store.lastAckedSeq();
        const replay = store.eventsAfter(acked, 10_000).map((e) => e.seq);
        expect(replay).toEqual(Array.from({ length: highest - acked }, (_, i) => acked + 1 + i));
        const lines = store.eventsAfter(0, 10_000).flatMap((e) => (e.kind === 'log' ? e.lines.map((l) => l.seq) : []));
        expect(lines).toEqual([...lines].sort((x, y) => x - y));
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 40 },
  );
});
