import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpExchange } from '../../../node-shared/http-exchange.js';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

describe('httpExchange', () => {
  it('sends the method, headers and body, and returns status, body and headers', async () => {
    const url = await serve((req, body, res) => {
      res.setHeader('retry-after', '7');
      res.statusCode = 201;
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body }));
    });
    const answer = await httpExchange(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}', timeoutMs: 5000 });
    expect(answer.status).toBe(201);
    expect(answer.header('Retry-After')).toBe('7');
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', type: 'application/json', length: '10', body: '{"a":"é"}' });
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    });
    await expect(httpExchange(url, { timeoutMs: 5000 })).resolves.toMatchObject({ status: 302 });
  });

  it('refuses an answer over the size limit', async () => {
    const url = await serve((_req, _body, res) => res.end('x'.repeat(64 * 1024)));
    await expect(httpExchange(url, { timeoutMs: 5000, maxResponseBytes: 1024 })).rejects.toThrow('the answer is over 1024 bytes');
  });

  it('with discardBody, answers at the status while the body is still streaming', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(503, { 'retry-after': '2' });
      res.write('the body starts but never ends');
    });
    const answer = await httpExchange(url, { method: 'POST', body: Buffer.from('x'), timeoutMs: 5000, discardBody: true });
    expect(answer).toMatchObject({ status: 503, text: '' });
    expect(answer.header('retry-after')).toBe('2');
  });

  it('gives up after the timeout when no answer comes', async () => {
    const url = await serve(() => undefined);
    await expect(httpExchange(url, { timeoutMs: 200 })).rejects.toThrow('timed out after 200 ms');
  });
});
