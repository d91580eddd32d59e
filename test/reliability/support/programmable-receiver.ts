import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Answer only after this long (a slow receiver). */
  readonly delayMs?: number;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What this receiver answered (or was about to, for a request whose client gave up). */
  readonly answer: Answer;
  /** How many replies this receiver had sent when the request arrived. */
  readonly repliesBefore: number;
}

/**
 * A real HTTP server on 127.0.0.1:0 that counts every request it gets and answers as `answer(n)` says (n = 0-based
 * request number): any status, extra headers (Location, Retry-After), and an optional delay.
 */
export class ProgrammableReceiver {
  readonly requests: ReceivedRequest[] = [];
  replies = 0;
  port = 0;
  private server: Server | undefined;

  constructor(public answer: (n: number) => Answer = () => ({ status: 200 })) {}

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = this.answer(this.requests.length);
        this.requests.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answer, repliesBefore: this.replies });
        const reply = () => {
          this.replies += 1;
          if (!res.destroyed) res.writeHead(answer.status, answer.headers ?? {}).end();
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
        else reply();
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/callback', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  keys(): string[] {
    return this.requests.map((r) => String(r.headers['idempotency-key']));
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
