import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../../shared/protocol.js';
import { EventSlicer, tooManyLocalSessions } from '../../../../orchestrator/gateway/event-slices.js';

const at = '2030-01-01T00:00:00.000Z';
const sessionId = '0b5c8a4e-9f3d-4c1a-8e2b-7d6f5a4c3b21';
const log = (seq: number, lines: number): SessionEvent => ({ seq, sessionId, at, kind: 'log', lines: Array.from({ length: lines }, (_, i) => ({ seq: i, level: 100000000, stream: 'stdout' as const, at, message: 'x' })) });
const local = (seq: number): SessionEvent => ({ seq, sessionId, at, kind: 'local-session', name: 'n', createdon: at });

describe('EventSlicer', () => {
  it('cuts slices in order, each at least one event, smaller when the rows took longer', () => {
    const slicer = new EventSlicer();
    const pending = Array.from({ length: 100 }, (_, i) => log(i + 1, 50));
    const first = slicer.next(pending, 0);
    expect(first.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]); // 250 rows a ms learned so far, 1 ms while busy
    slicer.took(first, 0, 10); // 25 rows a ms measured: halfway there
    const second = slicer.next(pending, 100);
    expect(second[0]!.seq).toBe(6);
    expect(second.length).toBeLessThan(first.length);
    expect(slicer.next([log(1, 5000)], 200)).toHaveLength(1);
  });
});

describe('tooManyLocalSessions', () => {
  it('names the first local-session event over the cap, none while within', () => {
    expect(tooManyLocalSessions([local(1), log(2, 1), local(3)], 2)).toBeUndefined();
    expect(tooManyLocalSessions([local(1), log(2, 1), local(3), local(4)], 2)).toEqual({ at: 3, reason: 'more than 2 local sessions in one frame; seq 4 and later: send them again' });
  });
});
