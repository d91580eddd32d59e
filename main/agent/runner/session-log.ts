import { WireLogLevel, type LogLine } from '../../../shared/protocol.js';
import type { Masker } from '../../../shared/secret-mask.js';
import { MAX_LINES_PER_EVENT } from '../store/event-outbox.js';
import type { LogChunk } from '../store/agent-store.js';

export interface SessionLogOptions {
  /** Commits chunks (one transaction; one `log` event per chunk). */
  readonly commit: (chunks: LogChunk[]) => void;
  readonly mask: Masker;
  readonly now: () => Date;
  /** A chunk is flushed once it holds this many characters (default 64 Ki) … */
  readonly maxChunkChars?: number;
  /** … or this long after its first line arrived (default 100 ms), and at the end of the run. */
  readonly flushMs?: number;
  /** First per-session seq (0 for a new session). */
  readonly firstSeq?: number;
  /**
   * A commit failed (disk full, I/O error): the chunks stay held and are committed with the next flush, in order.
   * Beyond `maxHeldLines` the oldest held chunks are dropped (`dropped` counts their lines) so memory stays bounded.
   */
  readonly onCommitError?: (err: unknown, held: number, dropped: number) => void;
  /** Most lines held in memory while commits fail. Default 100,000. */
  readonly maxHeldLines?: number;
  /**
   * Backpressure: `true` once more than `maxHeldChars` wait for a commit that fails (the flow's pipes should pause),
   * `false` once a commit took them. Default 4 Mi characters.
   */
  readonly onBackpressure?: (pause: boolean) => void;
  readonly maxHeldChars?: number;
}

const LEVEL = { stdout: WireLogLevel.Information, stderr: WireLogLevel.Warning, agent: WireLogLevel.Information } as const;

interface OpenChunk {
  readonly stream: LogLine['stream'];
  readonly level: number;
  readonly firstSeq: number;
  lineCount: number;
  chars: number;
  readonly parts: string[];
  readonly times: { at: string; lines: number }[];
}

/**
 * A session's output as chunks: blocks of masked lines are numbered and timed as they arrive and gathered into the
 * open chunk (one stream and level; another closes it), which is flushed when it is full, a short time after its first
 * line, and at the end. A chunk never holds more lines than one `log` event may carry.
 */
export class SessionLog {
  private sealed: LogChunk[] = [];
  private open: OpenChunk | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq: number;
  private heldLines = 0;
  private heldChars = 0;
  private paused = false;
  /** The last commit failed: wait for the retry timer instead of trying again on every block. */
  private failing = false;
  /** The last block's time: blocks of one millisecond (most of a burst) share its ISO string. */
  private last = { ms: NaN, iso: '' };

  constructor(private readonly options: SessionLogOptions) {
    this.seq = options.firstSeq ?? 0;
  }

  /** A line of the agent's own (masked here: it may quote a flow's error). */
  add(stream: LogLine['stream'], message: string, level: number = LEVEL[stream]): void {
    this.addMasked(stream, this.options.mask(message), 1, level);
  }

  /**
   * `lines` lines already masked, joined by `\n` (the flow's output: the LineSplitter masks whole lines before a long
   * one is cut).
   */
  addMasked(stream: LogLine['stream'], text: string, lines = 1, level: number = LEVEL[stream]): void {
    const at = this.iso();
    let rest = text;
    let left = lines;
    while (left > 0) {
      let open = this.open;
      if (open && (open.stream !== stream || open.level !== level || open.lineCount >= MAX_LINES_PER_EVENT)) {
        this.seal();
        open = undefined;
      }
      open ??= this.open = { stream, level, firstSeq: this.seq, lineCount: 0, chars: 0, parts: [], times: [] };
      const take = Math.min(left, MAX_LINES_PER_EVENT - open.lineCount);
      const cut = take === left ? rest.length : nthNewline(rest, take);
      const part = rest.slice(0, cut);
      rest = rest.slice(cut + 1);
      left -= take;
      open.parts.push(part);
      open.lineCount += take;
      open.chars += part.length + 1;
      const time = open.times[open.times.length - 1];
      if (time?.at === at) time.lines += take;
      else open.times.push({ at, lines: take });
      this.seq += take;
      this.heldLines += take;
      this.heldChars += part.length + 1;
    }
    const full = (this.open?.chars ?? 0) >= (this.options.maxChunkChars ?? 65_536);
    if (full && !this.failing) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 100);
  }

  private iso(): string {
    const now = this.options.now();
    const ms = now.getTime();
    if (ms !== this.last.ms) this.last = { ms, iso: now.toISOString() };
    return this.last.iso;
  }

  private seal(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const { stream, level, firstSeq, lineCount, times, parts } = open;
    this.sealed.push({ stream, level, firstSeq, lineCount, times, text: parts.length === 1 ? parts[0]! : parts.join('\n') });
  }

  /** Lines not yet committed (after a failed commit: held for the retry). */
  get held(): number {
    return this.heldLines;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.seal();
    if (this.sealed.length === 0) return;
    try {
      this.options.commit(this.sealed);
      this.sealed = [];
      this.heldLines = 0;
      this.heldChars = 0;
      this.failing = false;
      if (this.paused) {
        this.paused = false;
        this.options.onBackpressure?.(false);
      }
    } catch (err) {
      // Nothing of a failed commit is in the store: keep the chunks, in order, for the next try.
      this.failing = true;
      const dropped = this.dropBeyond(this.options.maxHeldLines ?? 100_000);
      if (!this.paused && this.heldChars > (this.options.maxHeldChars ?? 4 * 1_048_576)) {
        this.paused = true;
        this.options.onBackpressure?.(true);
      }
      this.options.onCommitError?.(err, this.heldLines, dropped);
      this.timer ??= setTimeout(() => this.flush(), Math.max(1000, this.options.flushMs ?? 100));
      this.timer.unref();
    }
  }

  /** Drops the oldest held chunks while more than `max` lines are held; returns the lines dropped. */
  private dropBeyond(max: number): number {
    let dropped = 0;
    while (this.heldLines > max && this.sealed.length > 1) {
      const chunk = this.sealed.shift()!;
      dropped += chunk.lineCount;
      this.heldLines -= chunk.lineCount;
      this.heldChars -= chunk.text.length + 1;
    }
    return dropped;
  }
}

/** The index of the n-th `\n` of `text` (n ≥ 1; the text holds at least n). */
function nthNewline(text: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf('\n', at + 1);
  return at;
}
