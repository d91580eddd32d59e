import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallback, type CallbackVerification } from '../../shared/callback-signature.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';

export interface ReceivedCallback {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered. */
  readonly status: number;
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
 * A real HTTP callback receiver on 127.0.0.1 (port 0). `answer(n)` picks the status of the n-th request
 * (0-based) to a path; default 200. With `verify`, a callback whose signature does not verify is answered 401.
 */
export async function startCallbackReceiver(answer: (n: number, path: string) => number = () => 200, verify?: CallbackVerifier) {
  const requests: ReceivedCallback[] = [];
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verify ? verifyReceived({ headers: req.headers, body }, verify.secrets(), verify.nowSeconds?.()) : undefined;
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const status = verified && !verified.ok ? 401 : answer(n, path);
      requests.push({ path, headers: req.headers, body, status, ...(verified ? { verified } : {}) });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try again');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    url: (path = '/callback') => `http://127.0.0.1:${port}${path}`,
    requests,
    to: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type CallbackReceiver = Awaited<ReturnType<typeof startCallbackReceiver>>;
