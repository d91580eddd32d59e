import { chmodSync, chownSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DirOwner } from '../run-as-dir.js';

/** The socket's name in the session's work dir, and the variable that tells the flow its path. */
export const SCREENSHOT_SOCKET_FILE = 'screenshot.sock';
export const SCREENSHOT_SOCKET_ENV = 'FLOWHOST_SCREENSHOT_SOCKET';

/** What a request got: the picture stored with the session, or why not (`busy`: one is being taken now). */
export type RequestedShot = { readonly ok: true; readonly takenon: string; readonly bytes: number } | { readonly ok: false; readonly busy: boolean; readonly reason: string };

export interface ScreenshotRequestsOptions {
  /** The session's agent-owned work dir (nobody else can create entries in it). */
  readonly workDir: string;
  /** The session user, who alone may connect; undefined = the agent's own user. */
  readonly owner?: DirOwner;
  /** Takes and stores the picture of this session's display. */
  readonly take: () => Promise<RequestedShot>;
}

/** sun_path holds 104 (macOS) to 108 (Linux) bytes with its NUL; a longer path cannot be bound. */
const MAX_SOCKET_PATH = 103;

/**
 * The flow's way to ask for a picture of its own display while it runs: HTTP on a Unix socket in the session's work
 * dir (`curl --unix-socket "$FLOWHOST_SCREENSHOT_SOCKET" -X POST http://flowhost/screenshot`). The socket is the
 * session user's, 0600, so only that user (and root) can connect, and it serves one display only: whoever asks, the
 * picture is of this session's display and is stored with this session, never returned. Nothing the flow sends is
 * read beyond the request line and headers (bounded by Node's parser).
 */
export class ScreenshotRequests {
  private constructor(
    readonly path: string,
    private readonly server: ReturnType<typeof createServer>,
  ) {}

  static async listen(o: ScreenshotRequestsOptions): Promise<ScreenshotRequests> {
    const path = join(o.workDir, SCREENSHOT_SOCKET_FILE);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new Error(`the socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes`);
    const server = createServer({ maxHeaderSize: 4096, requestTimeout: 5000, headersTimeout: 5000, keepAliveTimeout: 1000 }, (req, res) => void answer(req, res, o.take));
    server.maxConnections = 4;
    server.maxHeadersCount = 20;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => (server.off('error', reject), resolve()));
    });
    try {
      // The agent's dir: this path is the socket just bound (the flow has not started, and cannot replace entries here).
      if (o.owner) chownSync(path, o.owner.uid, o.owner.gid);
      chmodSync(path, 0o600);
    } catch (err) {
      server.close();
      throw err;
    }
    return new ScreenshotRequests(path, server);
  }

  /** Stops taking requests (the socket file goes with the server); open connections are ended. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, take: () => Promise<RequestedShot>): Promise<void> {
  req.resume(); // a body is not read; it is drained (bounded by requestTimeout)
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/screenshot') return reply(res, 404, { error: 'not found: POST /screenshot takes a picture of this session\'s display' });
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' }, { allow: 'POST' });
  let shot: RequestedShot;
  try {
    shot = await take();
  } catch (err) {
    shot = { ok: false, busy: false, reason: (err as Error).message };
  }
  if (shot.ok) return reply(res, 201, { takenon: shot.takenon, bytes: shot.bytes });
  reply(res, shot.busy ? 429 : 503, { error: shot.reason });
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close', ...headers });
  res.end(text);
}
