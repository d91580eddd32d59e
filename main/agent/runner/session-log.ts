import { LogLevel } from '../../../shared/option-sets.js';
import type { LogLine } from '../../../shared/protocol.js';
import type { Masker } from '../../../shared/secret-mask.js';

export interface SessionLogOptions {
  /** Commits a batch (one transaction, one or few `log` events). */
  readonly commit: (lines: LogLine[]) => void;
  readonly mask: Masker;
  readonly now: () => Date;
  /** Flush after this many lines or this long after the first buffered one. Defaults 5000 lines (one full `log` event, so one commit per event), 250 ms. */
  readonly maxBatch?: number;
  readonly flushMs?: number;
  /** First per-session seq (0 for a new session). */
  readonly firstSeq?: number;
  /**
   * A commit failed (disk full, I/O error): the lines stay buffered and are committed with the next flush, in order.
   * Beyond `maxHeldLines` the oldest held lines are dropped (`dropped` counts them) so memory stays bounded.
   */
  readonly onCommitError?: (err: unknown, held: number, dropped: number) => void;
  /** Most lines held in memory while commits fail. Default 100,000. */
  readonly maxHeldLines?: number;
}

const LEVEL = { stdout: LogLevel.v.Information, stderr: LogLevel.v.Warning, agent: LogLevel.v.Information } as const;

/** A session's log lines: masked, numbered and timestamped as they arrive, committed in batches. */
export class SessionLog {
  private buffer: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq: number;
  /** The last commit failed: wait for the retry timer instead of trying again on every line. */
  private failing = false;
  /** The last line's time: lines of one millisecond (most of a burst) share its ISO string. */
  private last = { ms: NaN, iso: '' };

  constructor(private readonly options: SessionLogOptions) {
    this.seq = options.firstSeq ?? 0;
  }

  /** A line of the agent's own (masked here: it may quote a flow's error). */
  add(stream: LogLine['stream'], message: string, level: number = LEVEL[stream]): void {
    this.addMasked(stream, this.options.mask(message), level);
  }

  /** A line already masked: the flow's output is masked whole by its LineSplitter, before a long line is cut. */
  addMasked(stream: LogLine['stream'], message: string, level: number = LEVEL[stream]): void {
    this.buffer.push({ seq: this.seq++, level, stream, at: this.iso(), message });
    if (this.buffer.length >= (this.options.maxBatch ?? 5000) && !this.failing) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 250);
  }

  private iso(): string {
    const now = this.options.now();
    const ms = now.getTime();
    if (ms !== this.last.ms) this.last = { ms, iso: now.toISOString() };
    return this.last.iso;
  }

  /** Lines buffered and not yet committed (after a failed commit: held for the retry). */
  get held(): number {
    return this.buffer.length;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    try {
      this.options.commit(lines);
      this.failing = false;
    } catch (err) {
      this.failing = true;
      // Nothing of a failed commit is in the store: keep the lines, in order, for the next try.
      this.buffer = lines.concat(this.buffer);
      const excess = Math.max(0, this.buffer.length - (this.options.maxHeldLines ?? 100_000));
      if (excess > 0) this.buffer.splice(0, excess);
      this.options.onCommitError?.(err, this.buffer.length, excess);
      this.timer ??= setTimeout(() => this.flush(), Math.max(1000, this.options.flushMs ?? 250));
      this.timer.unref();
    }
  }
}
