import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/** A complete HTTP answer, its body read as UTF-8. */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  header(name: string): string | undefined;
}

export interface HttpExchangeOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly timeoutMs: number;
  /** A longer body is refused. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Answer as soon as the status and headers arrive, the body drained unread (`text` is empty). */
  readonly discardBody?: boolean;
  /** Resolves the host instead of DNS (to pin the connection to an address checked before). */
  readonly lookup?: LookupFunction;
  /** PEM CA(s) an https server's certificate must chain to, instead of the system's CAs (the orchestrator's own CA). */
  readonly ca?: string;
}

/** The request never got a complete answer; `reason` is an errno code (ECONNREFUSED), a timeout or a size refusal. */
export class HttpExchangeError extends Error {
  override readonly name = 'HttpExchangeError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * One request over node:http(s), redirects not followed: to the orchestrator, and callbacks. Not `fetch`: loading
 * Node's fetch (undici) keeps about 9 MiB more in every agent that registered since it started.
 */
export function httpExchange(url: string, o: HttpExchangeOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const maxBytes = o.maxResponseBytes ?? 1024 * 1024;
  const body = o.body === undefined ? undefined : Buffer.from(o.body);
  const header = (res: IncomingMessage) => (name: string) => [res.headers[name.toLowerCase()]].flat()[0];
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      reject(err instanceof HttpExchangeError ? err : new HttpExchangeError(timedOut ? `timed out after ${o.timeoutMs} ms` : (err.code ?? err.message)));
    };
    const headers = { ...o.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    const options = { method: o.method ?? 'GET', headers, signal: AbortSignal.timeout(o.timeoutMs), agent: false, ...(o.lookup ? { lookup: o.lookup } : {}), ...(o.ca ? { ca: o.ca } : {}) };
    const req = request(target, options, (res: IncomingMessage) => {
      if (o.discardBody) {
        // The status decides; a receiver that streams forever cannot hold us.
        res.resume();
        res.on('error', () => undefined);
        return resolve({ status: res.statusCode ?? 0, text: '', header: header(res) });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) req.destroy(new HttpExchangeError(`the answer is over ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, header: header(res) });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}
