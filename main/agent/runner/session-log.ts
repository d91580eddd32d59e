import { LogLevel } from '../../../shared/option-sets.js';
import type { LogLine } from '../../../shared/protocol.js';
import type { Masker } from '../secret-mask.js';

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
}

const LEVEL = { stdout: LogLevel.v.Information, stderr: LogLevel.v.Warning, agent: LogLevel.v.Information } as const;

/** A session's log lines: masked, numbered and timestamped as they arrive, committed in batches. */
export class SessionLog {
  private buffer: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq: number;

  constructor(private readonly options: SessionLogOptions) {
    this.seq = options.firstSeq ?? 0;
  }

  add(stream: LogLine['stream'], message: string, level: number = LEVEL[stream]): void {
    this.buffer.push({ seq: this.seq++, level, stream, at: this.options.now().toISOString(), message: this.options.mask(message) });
    if (this.buffer.length >= (this.options.maxBatch ?? 5000)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 250);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    this.options.commit(lines);
  }
}
