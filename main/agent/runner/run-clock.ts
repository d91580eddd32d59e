/** Monotonic milliseconds (immune to wall-clock changes). */
export const monotonicMs = (): number => performance.now();

/**
 * The run timeout: fires `onExpire` once `limitMs` of running time has passed. Time spent paused does not
 * count (a paused session is not making progress, so it should not time out for it).
 */
export class RunDeadline {
  private timer: NodeJS.Timeout | undefined;
  private usedMs = 0;
  private since: number | undefined;
  private done = false;

  constructor(
    private readonly limitMs: number,
    private readonly onExpire: () => void,
  ) {}

  start(): void {
    if (this.done || this.since !== undefined) return;
    this.since = monotonicMs();
    this.timer = setTimeout(() => {
      this.done = true;
      this.onExpire();
    }, Math.max(0, this.limitMs - this.usedMs));
    this.timer.unref();
  }

  pause(): void {
    if (this.since === undefined) return;
    this.usedMs += monotonicMs() - this.since;
    this.since = undefined;
    clearTimeout(this.timer);
  }

  stop(): void {
    this.done = true;
    this.pause();
  }
}
