import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareQueueOrder, type SessionView } from '../../../../orchestrator/queue/dispatch-plan.js';
import { QueueLine, type LineEntry } from '../../../../orchestrator/queue/queue-line.js';

const view = (i: number, priority: number, ms: number): SessionView => ({
  id: `s${i}`,
  priority,
  createdon: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, ms)).toISOString(),
  scheduledfor: null,
  groupId: 'g',
  targetMachineId: null,
  runmode: 2,
  sessionusername: null,
  arrival: i,
});

describe('QueueLine', () => {
  it('keeps its sessions in queue order and its exceptions exact through adds, removals, reason changes and settles', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), priority: fc.integer({ min: 0, max: 2 }), ms: fc.integer({ min: 0, max: 5 }), uniform: fc.boolean(), reason: fc.constantFrom(null, 'A', 'B') }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('reason' as const), pick: fc.nat(), reason: fc.constantFrom(null, 'A', 'B') }),
            fc.record({ op: fc.constant('settle' as const), reason: fc.constantFrom('A', 'B') }),
          ),
          { maxLength: 60 },
        ),
        (fifo, ops) => {
          const line = new QueueLine('g', fifo);
          const filed: { view: SessionView; reason: string | null; uniform: boolean }[] = [];
          let common: string | null = null;
          ops.forEach((o, i) => {
            if (o.op === 'add') {
              const e = { view: view(i, o.priority, o.ms), reason: o.reason, uniform: o.uniform };
              filed.push(e);
              line.add(e);
            } else if (o.op === 'remove' && filed.length > 0) {
              line.remove(filed.splice(o.pick % filed.length, 1)[0]!);
            } else if (o.op === 'reason' && filed.length > 0) {
              const e = filed[o.pick % filed.length]!;
              e.reason = o.reason;
              line.reasonChanged(e as LineEntry);
            } else if (o.op === 'settle') {
              common = o.reason;
              line.settle(o.reason);
            }
          });
          const ordered = filed.map((e) => e.view).sort((a, b) => compareQueueOrder(a, b, fifo));
          expect(line.sessions.map((v) => v.id)).toEqual(ordered.map((v) => v.id));
          const exceptions = filed.filter((e) => !e.uniform || e.reason !== common).map((e) => e.view.id);
          expect([...line.settled.exceptions].map((v) => v.id).sort()).toEqual(exceptions.sort());
          expect(line.settled.reason).toBe(common);
        },
      ),
      { numRuns: 500 },
    );
  });
});
