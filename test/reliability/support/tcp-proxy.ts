import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy whose link can be black-holed: `partition()` stops forwarding in both directions
 * without closing anything (no FIN, no RST — what a pulled cable or a dropped NAT entry looks like), and holds
 * new connections the same way. `heal()` resets the held sockets (their peers gave up on them long ago) and
 * forwards again.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private black = false;
  url = '';
  connections = 0;

  constructor(private readonly target: () => { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private accept(client: Socket): void {
    this.connections += 1;
    const { host, port } = this.target();
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (!this.black) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = (closed: Socket) => {
      // A black hole carries no FIN or RST: the other end stays open until heal() resets it.
      if (this.black) return void closed.destroy();
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', () => end(s));
      s.on('close', () => end(s));
    }
  }

  partition(): void {
    this.black = true;
  }

  heal(): void {
    for (const pair of [...this.pairs]) for (const s of pair) if (!s.destroyed) s.resetAndDestroy();
    this.pairs.clear();
    this.black = false;
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
