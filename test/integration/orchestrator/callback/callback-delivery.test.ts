import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackDelivery } from '../../../../orchestrator/callback/callback-delivery.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';

const logger = winston.createLogger({ silent: true });
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real receiver; the n-th request gets `answers[n]` (status and headers), later ones 200. */
async function receiver(answers: readonly { status: number; headers?: Record<string, string> }[] = []): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const answer = answers[requests.length] ?? { status: 200 };
    requests.push(`${req.method} ${req.url} host=${req.headers.host}`);
    req.resume();
    req.on('end', () => res.writeHead(answer.status, answer.headers ?? {}).end('ok'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, requests };
}

async function deliveryFor(callbackurl: string, options: Partial<ConstructorParameters<typeof CallbackDelivery>[0]>) {
  const store = new SqliteStore({ file: join(tempDir(), 'orchestrator.db') });
  const delivery = new CallbackDelivery({ ctx: { store, now: () => new Date(), logger }, baseDelayMs: 10, ...options });
  cleanup.push(() => delivery.close(), async () => await store.close());
  const sessionId = String((await store.sessions.insert({ name: 'ended', statecode: 1, statuscode: 4, runmode: 2, priority: 0, callbackurl }))['flowsessionid']);
  return { store, trigger: () => delivery.trigger(sessionId) };
}

describe('orchestrator callback delivery', () => {
  // The name resolves (for the policy) to the allow-listed loopback receiver, and to nothing at all through the
  // system resolver: the request can only arrive if it is pinned to the address the policy checked.
  it('connects to the address the policy checked, not to what DNS answers later', async () => {
    const { port, requests } = await receiver();
    const { store, trigger } = await deliveryFor(`http://rebind.flowhost.invalid:${port}/cb`, {
      allowHosts: ['rebind.flowhost.invalid'],
      lookupAll: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const id = await trigger();
    await waitFor(async () => (await store.operations.get(id))?.['statecode'] === 3, { what: 'the delivery to end' });
    expect(await store.operations.get(id)).toMatchObject({ statuscode: 30, errormessage: null });
    expect(requests).toEqual([`POST /cb host=rebind.flowhost.invalid:${port}`]);
  });

  it('refuses a name that resolves to a metadata address, without a request', async () => {
    const { port, requests } = await receiver();
    const { store, trigger } = await deliveryFor(`https://hooks.example.com:${port}/cb`, { lookupAll: async () => [{ address: '169.254.169.254', family: 4 }] });
    const id = await trigger();
    await waitFor(async () => (await store.operations.get(id))?.['statecode'] === 3, { what: 'the delivery to end' });
    expect(await store.operations.get(id)).toMatchObject({ statuscode: 31, errormessage: expect.stringMatching(/Refused: .*169\.254\.169\.254, a metadata address/) });
    expect(requests).toEqual([]);
  });

  // An hour's first backoff ceiling: a retry that comes within the test came from Retry-After or the injected jitter.
  const HOUR = 3_600_000;

  it("retries when the receiver's Retry-After says, not by the backoff", async () => {
    const { port, requests } = await receiver([{ status: 429, headers: { 'retry-after': '1' } }]);
    const { store, trigger } = await deliveryFor(`http://127.0.0.1:${port}/cb`, { allowHosts: ['127.0.0.1'], baseDelayMs: HOUR, random: () => 0.99 });
    const id = await trigger();
    await waitFor(async () => (await store.operations.get(id))?.['statecode'] === 3, { what: 'the retry Retry-After asked for' });
    expect(await store.operations.get(id)).toMatchObject({ statuscode: 30, retrycount: 1 });
    expect(requests).toHaveLength(2);
  });

  it('draws its full jitter from the injected random: a draw of 0 retries at the 100 ms floor', async () => {
    const { port, requests } = await receiver([{ status: 503 }]);
    const draws: number[] = [];
    const random = () => {
      draws.push(0);
      return 0;
    };
    const { store, trigger } = await deliveryFor(`http://127.0.0.1:${port}/cb`, { allowHosts: ['127.0.0.1'], baseDelayMs: HOUR, random });
    const id = await trigger();
    await waitFor(async () => (await store.operations.get(id))?.['statecode'] === 3, { what: 'the retry after the injected draw' });
    expect(await store.operations.get(id)).toMatchObject({ statuscode: 30, retrycount: 1 });
    expect(requests).toHaveLength(2);
    expect(draws).toHaveLength(1);
  });
});
