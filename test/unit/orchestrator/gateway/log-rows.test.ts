import { describe, expect, it } from 'vitest';
import { linesOfLogChunk } from '../../../../shared/log-chunk.js';
import type { LogChunkEvent } from '../../../../shared/protocol.js';
import { AgentClock } from '../../../../orchestrator/gateway/agent-clock.js';
import { LogRows } from '../../../../orchestrator/gateway/log-rows.js';
import type { FlowLogEntry } from '../../../../orchestrator/queue/flowlog-writer.js';

const at = '2030-01-01T00:00:00.000Z';
const later = '2030-01-01T00:00:00.007Z';
const chunk: LogChunkEvent = {
  seq: 3,
  sessionId: '00000000-0000-4000-8000-000000000001',
  at,
  kind: 'log-chunk',
  stream: 'stderr',
  level: 100000002,
  firstLine: 40,
  times: [[at, 2], [later, 3]],
  text: 'one\n\n"three" \\ ü\nfour\n',
};

describe('LogRows: flowlog rows of a session output', () => {
  it('a chunk gives the very rows of the log event of its lines: one CustomLog row a line, level, stream, message, time', () => {
    const fromChunk: FlowLogEntry[] = [];
    const fromLines: FlowLogEntry[] = [];
    new LogRows(AgentClock.identity).chunk(chunk, fromChunk);
    new LogRows(AgentClock.identity).lines(linesOfLogChunk(chunk), fromLines);
    expect(fromChunk).toEqual(fromLines);
    expect(fromChunk.map((r) => [r.name, r.level, (r.data as { message: string }).message, r.createdon])).toEqual([
      ['stderr', 100000002, 'one', at],
      ['stderr', 100000002, '', at],
      ['stderr', 100000002, '"three" \\ ü', later],
      ['stderr', 100000002, 'four', later],
      ['stderr', 100000002, '', later],
    ]);
  });

  it("maps the lines' times onto the orchestrator's clock, once per run", () => {
    const now = new Date('2030-01-01T00:00:10.000Z');
    // The agent's clock is 5 s behind ours.
    const clock = AgentClock.fromHello('2030-01-01T00:00:05.000Z', now, () => now);
    const rows: FlowLogEntry[] = [];
    new LogRows(clock).chunk(chunk, rows);
    expect(rows.map((r) => r.createdon)).toEqual(['2030-01-01T00:00:05.000Z', '2030-01-01T00:00:05.000Z', ...Array(3).fill('2030-01-01T00:00:05.007Z')]);
  });
});
