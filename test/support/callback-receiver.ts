import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallback, type CallbackVerification } from '../../shared/callback-signature.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';

/** How the receiver answers one request. */
export interface Answer {
  readonly status: number;
  /** Extra headers (Location, Retry-After). */
  readonly headers?: Record<string, string>;
  /** Answer only after this long (a slow receiver). */
  readonly delayMs?: number;
}

/** Picks the answer to the n-th request (0-based) to `path`: a status, or a whole `Answer`. */
export type AnswerFor = (n: number, path: string) => number | Answer;

export interface ReceivedCallback {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered (or was about to, for a request whose client gave up). */
  readonly status: number;
  readonly answer: Answer;
  /** How many replies this receiver had sent when the request arrived. */
  readonly repliesBefore: number;
  /** The signature check, when the receiver verifies (`verify` given). */
  readonly verified?: CallbackVerification;
}

export interface CallbackVerifier {
  /** The group's callback secret(s) the receiver knows now. */
  readonly secrets: () => readonly string[];
  /** The receiver's clock (unix seconds); default the real one. */
  readonly nowSeconds?: () => number;
}

/** Checks a received callback's X-Flowhost-Signature as a receiver does (shared/callback-signature.ts). */
export function verifyReceived(c: Pick<ReceivedCallback, 'headers' | 'body'>, secrets: readonly string[], nowSeconds = Date.now() / 1000): CallbackVerification {
  const header = c.headers['x-flowhost-signature'];
  return verifyCallback(Array.isArray(header) ? header[0] : header, c.body, { secrets, nowSeconds, hmac: nodeHmacSha256 });
}

/**
 * The one callback receiver of the tests: a real HTTP server on 127.0.0.1 (port 0) that records every request and
 * answers as `answer` says (any status, extra headers, a delay). With `verify`, a callback whose signature does not
 * verify is answered 401.
 */
export class CallbackReceiver {
  readonly requests: ReceivedCallback[] = [];
  replies = 0;
  port = 0;
  private readonly counts = new Map<string, number>();
  private server: Server | undefined;

  private constructor(
    private readonly answer: AnswerFor,
    private readonly verify: CallbackVerifier | undefined,
  ) {}

  static async start(answer: AnswerFor = () => 200, verify?: CallbackVerifier): Promise<CallbackReceiver> {
    const receiver = new CallbackReceiver(answer, verify);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver.received(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), (a) => {
        receiver.replies += 1;
        if (!res.destroyed) res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(a.status < 300 ? 'ok' : 'try again');
      }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver.server = server;
    receiver.port = (server.address() as AddressInfo).port;
    return receiver;
  }

  private received(method: string, path: string, headers: IncomingHttpHeaders, body: string, reply: (a: Answer) => void): void {
    const verified = this.verify ? verifyReceived({ headers, body }, this.verify.secrets(), this.verify.nowSeconds?.()) : undefined;
    const n = this.counts.get(path) ?? 0;
    this.counts.set(path, n + 1);
    const chosen = verified && !verified.ok ? 401 : this.answer(n, path);
    const answer = typeof chosen === 'number' ? { status: chosen } : chosen;
    this.requests.push({ method, path, headers, body, status: answer.status, answer, repliesBefore: this.replies, ...(verified ? { verified } : {}) });
    if (answer.delayMs) setTimeout(() => reply(answer), answer.delayMs).unref();
    else reply(answer);
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(path = '/callback', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** The requests to one path, in arrival order. */
  to(path: string): ReceivedCallback[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The Idempotency-Key of every request, in arrival order. */
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

export const startCallbackReceiver = (answer?: AnswerFor, verify?: CallbackVerifier): Promise<CallbackReceiver> => CallbackReceiver.start(answer, verify);
