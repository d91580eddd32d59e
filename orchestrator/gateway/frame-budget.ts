/** What one machine may send upstream: token buckets of bytes and frames, refilled per second up to a burst. */
export interface MachineBudget {
  readonly bytesPerSecond: number;
  /** Bytes the bucket holds; a frame larger than this passes when the bucket is full (and leaves it in debt). */
  readonly burstBytes: number;
  readonly framesPerSecond: number;
  readonly burstFrames: number;
}

/**
 * 16 MiB/s holds one frame of the largest size at once and an agent replaying ~68 k one-line log events/s (~246 bytes
 * each): the replay bench's limit today (docs/performance.md, Known misses). 2,000 frames/s holds older agents that
 * send one `event` per frame.
 */
export const DEFAULT_MACHINE_BUDGET: MachineBudget = { bytesPerSecond: 16 * 1_048_576, burstBytes: 32 * 1_048_576, framesPerSecond: 2000, burstFrames: 4000 };

/** One machine's budget (shared by its connections, so reconnecting does not refill it). */
export class FrameBudget {
  private bytes: number;
  private frames: number;
  private at: number;

  constructor(
    private readonly budget: MachineBudget,
    private readonly now: () => Date,
  ) {
    this.bytes = budget.burstBytes;
    this.frames = budget.burstFrames;
    this.at = now().getTime();
  }

  /** Takes a frame of `size` bytes: 0 when taken, else the ms until the budget may have it. */
  take(size: number): number {
    const b = this.budget;
    const t = this.now().getTime();
    const s = Math.max(0, t - this.at) / 1000;
    this.at = Math.max(this.at, t);
    this.bytes = Math.min(b.burstBytes, this.bytes + s * b.bytesPerSecond);
    this.frames = Math.min(b.burstFrames, this.frames + s * b.framesPerSecond);
    const needBytes = Math.min(size, b.burstBytes) - this.bytes;
    const needFrames = 1 - this.frames;
    if (needBytes <= 0 && needFrames <= 0) {
      this.bytes -= size;
      this.frames -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(1000 * Math.max(needBytes / b.bytesPerSecond, needFrames / b.framesPerSecond)));
  }
}
