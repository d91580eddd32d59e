import type { LogChunkEvent, LogLine } from '../../shared/protocol.js';
import type { FlowLogEntry } from '../queue/flowlog-writer.js';
import type { AgentClock } from './agent-clock.js';

/**
 * A session's output as Dataverse shows it in `flowlogs`: one CustomLog row per line, the line's level, `name` its
 * stream, `data` `{"stream","message"}`, `createdon` the line's time on our clock. Lines arrive as `log` events (a line
 * each) or `log-chunk` events (runs of lines sharing a time): both give the same rows.
 */
export class LogRows {
  /** The last time mapped: lines of one millisecond (most of a burst) share it. */
  private last = { agent: '', ours: '' };

  constructor(private readonly clock: AgentClock) {}

  /** The rows of `log` event lines, appended to `into`. */
  lines(lines: readonly LogLine[], into: FlowLogEntry[]): void {
    for (const l of lines) into.push(entry(l.stream, l.level, l.message, this.time(l.at)));
  }

  /** The rows of a chunk (checked on receipt: its runs add up to its lines), appended to `into`, without a copy of its lines. */
  chunk(e: LogChunkEvent, into: FlowLogEntry[]): void {
    let start = 0;
    for (const [at, count] of e.times) {
      const createdon = this.time(at);
      for (let i = 0; i < count && start <= e.text.length; i++) {
        const end = e.text.indexOf('\n', start);
        const stop = end === -1 ? e.text.length : end;
        into.push(entry(e.stream, e.level, e.text.slice(start, stop), createdon));
        start = stop + 1;
      }
    }
  }

  private time(at: string): string {
    if (at !== this.last.agent) this.last = { agent: at, ours: this.clock.map(at) };
    return this.last.ours;
  }
}

const entry = (stream: LogLine['stream'], level: number, message: string, createdon: string): FlowLogEntry => ({
  type: 'CustomLog',
  level,
  name: stream,
  data: { stream, message },
  createdon,
});
