import type { ServerResponse } from 'node:http';
import type { StatusEvent, StatusEventPayload } from '../../../shared/status.js';
import { SECURITY_HEADERS } from './status-http.js';

export interface StatusEventStreamOptions {
  /** Comment line sent this often so proxies and the browser see a live stream (default 15 s). */
  readonly heartbeatMs?: number;
  /** The browser's reconnect delay, sent as `retry:` (default 2 s). */
  readonly retryMs?: number;
}

/**
 * One Server-Sent Events response. A slow reader never piles up snapshots: while the socket is congested only
 * the newest snapshot waits, and it is written when the socket drains.
 */
export class StatusEventStream {
  private pending: string | undefined;
  private congested = false;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    options: StatusEventStreamOptions = {},
  ) {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${options.retryMs ?? 2000}\n\n`);
    res.on('drain', () => this.drained());
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  send<E extends StatusEvent>(event: E, payload: StatusEventPayload<E>): void {
    if (this.closed) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    if (this.congested) this.pending = frame;
    else this.write(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.res.end();
  }

  private write(text: string): void {
    if (this.closed || this.res.destroyed) return;
    if (!this.res.write(text)) this.congested = true;
  }

  private drained(): void {
    this.congested = false;
    const frame = this.pending;
    this.pending = undefined;
    if (frame) this.write(frame);
  }
}
