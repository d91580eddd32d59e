import type { RawData, WebSocket } from 'ws';
import type { FrameBudget } from './frame-budget.js';

export interface AgentInboxOptions {
  readonly socket: WebSocket;
  readonly budget: FrameBudget;
  /**
   * Handles one frame, in arrival order. A promise when its work goes on after it returns (events applied in slices):
   * the next frame waits for it. It must not reject.
   */
  readonly receive: (data: RawData, isBinary: boolean) => void | Promise<void>;
}

/** Longest wait between two looks at the budget (a clock moved by hand in tests is seen within this). */
const MAX_WAIT_MS = 250;

/**
 * The frames of one agent socket, handed on in order as the machine's budget allows. While a frame waits (for the
 * budget, or for the one before it to be applied) the socket is paused: the agent's data stays in the kernel and
 * its TCP window closes, so a flooding machine slows itself down and nothing it sent is dropped.
 */
export class AgentInbox {
  private readonly frames: { data: RawData; isBinary: boolean; bytes: number }[] = [];
  private busy = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AgentInboxOptions) {}

  push(data: RawData, isBinary: boolean): void {
    if (this.stopped) return;
    this.frames.push({ data, isBinary, bytes: byteLength(data) });
    this.pump();
  }

  /** Whether the socket is paused by this inbox (its peer's pongs are not read meanwhile). */
  get holding(): boolean {
    return this.frames.length > 0;
  }

  /** Drops what waits and reads the socket again, so a close handshake is heard. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.frames.length = 0;
    this.o.socket.resume();
  }

  private pump(): void {
    while (!this.busy && !this.stopped && this.timer === undefined && this.frames.length > 0) {
      const head = this.frames[0]!;
      const wait = this.o.budget.take(head.bytes);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.min(wait, MAX_WAIT_MS));
        break;
      }
      this.frames.shift();
      const pending = this.o.receive(head.data, head.isBinary);
      if (pending) {
        this.busy = true;
        void pending.then(() => {
          this.busy = false;
          this.pump();
        });
      }
    }
    if (this.stopped) return;
    if (this.frames.length > 0) this.o.socket.pause();
    else this.o.socket.resume();
  }
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}
