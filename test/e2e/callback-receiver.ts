import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered. */
  readonly status: number;
}

/**
 * A real HTTP callback receiver on 127.0.0.1 (port 0). `answer(n)` picks the status of the n-th request
 * (0-based) to a path; default 200.
 */
export async function startCallbackReceiver(answer: (n: number, path: string) => number = () => 200) {
  const requests: ReceivedCallback[] = [];
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const status = answer(n, path);
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
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
