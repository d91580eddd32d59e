import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../../../shared/protocol.js';
import { SessionLog } from '../../../../../main/agent/runner/session-log.js';
import type { LogChunk } from '../../../../../main/agent/store/agent-store.js';
import { linesOfChunk } from '../../../../../main/agent/store/log-chunks.js';

const at = () => new Date('2030-01-01T00:00:00Z');

describe('SessionLog', () => {
  it("masks the agent's own lines and takes the flow's, masked whole by the splitter, as they are", () => {
    const committed: LogLine[] = [];
    const masked: string[] = [];
    const log = new SessionLog({
      commit: (chunks) => committed.push(...chunks.flatMap(linesOfChunk)),
      mask: (s) => (masked.push(s), s.replaceAll('hunter2', '***')),
      now: at,
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
    const log = new SessionLog({ commit: (chunks) => committed.push(...chunks.flatMap(linesOfChunk)), mask: (s) => s, now: () => new Date(times[i++]!) });
    for (const text of ['a', 'b', 'c', 'd']) log.addMasked('stdout', text);
    log.flush();
    expect(committed.map((l) => l.at)).toEqual(times);
  });

  it('gathers blocks into chunks of one stream and level, numbered on, flushed when full and never over a log event', () => {
    const chunks: LogChunk[] = [];
    const log = new SessionLog({ commit: (c) => chunks.push(...c), mask: (s) => s, now: at, maxChunkChars: 100 });
    log.addMasked('stdout', 'a\nb', 2);
    log.addMasked('stdout', 'c', 1);
    log.addMasked('stderr', 'oops', 1);
    expect(chunks).toEqual([]); // neither full nor flushed yet
    log.addMasked('stderr', 'x'.repeat(120), 1); // full: flushed at once
    expect(chunks.map((c) => [c.stream, c.firstSeq, c.lineCount, c.text.length])).toEqual([
      ['stdout', 0, 3, 5],
      ['stderr', 3, 2, 125],
    ]);
    log.addMasked('stdout', '\n'.repeat(11_999), 12_000); // 12,000 empty lines in one read
    log.flush();
    expect(chunks.slice(2).map((c) => [c.firstSeq, c.lineCount, c.text.length])).toEqual([
      [5, 5000, 4999],
      [5005, 5000, 4999],
      [10_005, 2000, 1999],
    ]);
  });

  it('asks to pause the pipes while failing commits hold too much, and to resume once a commit takes it', () => {
    let failing = true;
    const committed: LogChunk[] = [];
    const heard: boolean[] = [];
    const log = new SessionLog({
      commit: (c) => {
        if (failing) throw new Error('disk full');
        committed.push(...c);
      },
      mask: (s) => s,
      now: at,
      maxChunkChars: 10,
      maxHeldChars: 50,
      onBackpressure: (pause) => heard.push(pause),
    });
    for (let i = 0; i < 4; i++) {
      log.addMasked('stdout', 'y'.repeat(20));
      log.flush();
    }
    expect(heard).toEqual([true]);
    expect(log.held).toBe(4);
    failing = false;
    log.flush();
    expect(heard).toEqual([true, false]);
    expect(committed.map((c) => c.firstSeq)).toEqual([0, 1, 2, 3]);
    expect(log.held).toBe(0);
  });
});
