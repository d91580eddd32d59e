import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../../../shared/protocol.js';
import { SessionLog } from '../../../../../main/agent/runner/session-log.js';

describe('SessionLog', () => {
  it("masks the agent's own lines and takes the flow's, masked whole by the splitter, as they are", () => {
    const committed: LogLine[] = [];
    const masked: string[] = [];
    const log = new SessionLog({
      commit: (lines) => committed.push(...lines),
      mask: (s) => (masked.push(s), s.replaceAll('hunter2', '***')),
      now: () => new Date('2030-01-01T00:00:00Z'),
    });
    log.addMasked('stdout', 'token ***');
    log.add('agent', 'the flow could not start: hunter2');
    log.flush();
    expect(masked).toEqual(['the flow could not start: hunter2']);
    expect(committed.map((l) => [l.seq, l.stream, l.message])).toEqual([
      [0, 'stdout', 'token ***'],
      [1, 'agent', 'the flow could not start: ***'],
    ]);
  });

  it('stamps each line with the time it arrived, to the millisecond', () => {
    const committed: LogLine[] = [];
    const times = ['2030-01-01T00:00:00.001Z', '2030-01-01T00:00:00.001Z', '2030-01-01T00:00:00.002Z', '2030-01-01T00:00:00.001Z'];
    let i = 0;
    const log = new SessionLog({ commit: (lines) => committed.push(...lines), mask: (s) => s, now: () => new Date(times[i++]!) });
    for (const text of ['a', 'b', 'c', 'd']) log.addMasked('stdout', text);
    log.flush();
    expect(committed.map((l) => l.at)).toEqual(times);
  });
});
