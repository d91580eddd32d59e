import { describe, expect, it } from 'vitest';
import { linesOfLogChunk } from '../../../shared/log-chunk.js';
import { decodeAgentFrame } from '../../../shared/protocol-codec.js';
import { MAX_LOG_CHUNK_CHARS, type LogChunkEvent } from '../../../shared/protocol.js';

const at = '2030-01-01T00:00:00.000Z';
const later = '2030-01-01T00:00:01.000Z';
const chunk = (o: Partial<LogChunkEvent> = {}): LogChunkEvent => ({
  seq: 7,
  sessionId: '00000000-0000-4000-8000-000000000001',
  at,
  kind: 'log-chunk',
  stream: 'stdout',
  level: 100000001,
  firstLine: 10,
  times: [[at, 2], [later, 1]],
  text: 'a\nb\nc',
  ...o,
});
const decode = (events: unknown[]) => decodeAgentFrame(JSON.stringify({ type: 'events', events }));
const refusal = (e: LogChunkEvent): string => {
  const d = decode([e]);
  return d.ok ? 'accepted' : d.error;
};

describe('log-chunk events', () => {
  it('its lines: numbered from firstLine, each with the time of its run', () => {
    expect(linesOfLogChunk(chunk())).toEqual([
      { seq: 10, level: 100000001, stream: 'stdout', at, message: 'a' },
      { seq: 11, level: 100000001, stream: 'stdout', at, message: 'b' },
      { seq: 12, level: 100000001, stream: 'stdout', at: later, message: 'c' },
    ]);
    expect(linesOfLogChunk(chunk({ text: '', times: [[at, 1]] }))).toEqual([{ seq: 10, level: 100000001, stream: 'stdout', at, message: '' }]);
  });

  it('is refused on receipt when its times and its lines disagree, a line is too long, it has too many lines or too much text', () => {
    expect(refusal(chunk())).toBe('accepted');
    expect(refusal(chunk({ times: [[at, 2]] }))).toMatch(/times count 2 lines, its text holds 3/);
    expect(refusal(chunk({ text: 'a\nb\nc\nd' }))).toMatch(/times count 3 lines, its text holds 4/);
    expect(refusal(chunk({ text: `a\n${'x'.repeat(100_001)}\nc` }))).toMatch(/line 11 is longer than 100000/);
    expect(refusal(chunk({ text: '\n'.repeat(5000), times: [[at, 5001]] }))).toMatch(/invalid events frame/);
    expect(refusal(chunk({ text: '\n'.repeat(5000), times: [[at, 5000], [later, 1]] }))).toMatch(/more than 5000 lines/);
    expect(refusal(chunk({ text: 'x'.repeat(MAX_LOG_CHUNK_CHARS + 1), times: [[at, 1]] }))).toMatch(/invalid events frame/);
    expect(refusal(chunk({ times: [] }))).toMatch(/invalid events frame/);
    expect(refusal(chunk({ firstLine: -1 }))).toMatch(/invalid events frame/);
    // The one bad chunk refuses the frame it came in.
    const d = decode([{ seq: 6, sessionId: chunk().sessionId, at, kind: 'status', statuscode: 1 }, chunk({ times: [[at, 1]] })]);
    expect(d.ok).toBe(false);
  });
});
