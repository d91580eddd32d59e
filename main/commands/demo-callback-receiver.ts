import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { IDEMPOTENCY_KEY_HEADER, SIGNATURE_HEADER } from '../../shared/callback.js';
import { verifyCallback } from '../../shared/callback-signature.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';

export interface ReceivedCallback {
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly signatureValid: boolean;
  /** Who signed it (a machine id or `orchestrator`), when the signature is valid. */
  readonly signer: string | undefined;
  readonly body: string;
}

/** A local HTTP endpoint that records completion callbacks and checks their signature as any receiver should. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  private readonly waiters: ((c: ReceivedCallback) => void)[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** `groupSecret`: the group's `callbacksecret` (read through the Web API). */
  static async start(groupSecret: () => string): Promise<CallbackReceiver> {
    let receiver: CallbackReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const signature = req.headers[SIGNATURE_HEADER.toLowerCase()];
        const check = verifyCallback(Array.isArray(signature) ? signature[0] : signature, body, { secrets: [groupSecret()], nowSeconds: Date.now() / 1000, hmac: nodeHmacSha256 });
        const header = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
        const callback: ReceivedCallback = {
          path: req.url ?? '/',
          idempotencyKey: Array.isArray(header) ? header[0] : header,
          signatureValid: check.ok,
          signer: check.ok ? check.signer : undefined,
          body: body.toString('utf8'),
        };
        res.writeHead(callback.signatureValid ? 200 : 401).end();
        receiver?.record(callback);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    receiver = new CallbackReceiver(server, `http://127.0.0.1:${port}/callback`);
    return receiver;
  }

  /** Resolves with the first callback carrying this key (already received or still to come). */
  next(idempotencyKey: string): Promise<ReceivedCallback> {
    const found = this.received.find((c) => c.idempotencyKey === idempotencyKey);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter = (c: ReceivedCallback) => {
        if (c.idempotencyKey !== idempotencyKey) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(c);
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private record(c: ReceivedCallback): void {
    this.received.push(c);
    for (const w of [...this.waiters]) w(c);
  }
}
