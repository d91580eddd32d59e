import { join } from 'node:path';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { backgroundoperationEntity, flowsessionEntity } from '../../../../shared/records/index.js';
import { CallbackDelivery } from '../../../../orchestrator/callback/callback-delivery.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { CallbackReceiver } from '../../../support/callback-receiver.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';

const logger = winston.createLogger({ silent: true });
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function receiver(): Promise<{ port: number; requests: () => string[] }> {
  const rx = await CallbackReceiver.start();
  cleanup.push(() => rx.close());
  return { port: rx.port, requests: () => rx.requests.map((r) => `${r.method} ${r.path} host=${String(r.headers.host)}`) };
}

function deliveryFor(callbackurl: string, options: Partial<ConstructorParameters<typeof CallbackDelivery>[0]>) {
  const store = new SqliteStore({ file: join(tempDir(), 'orchestrator.db') });
  const delivery = new CallbackDelivery({ ctx: { store, now: () => new Date(), logger }, baseDelayMs: 10, ...options });
  cleanup.push(() => delivery.close(), () => store.close());
  const sessionId = String(store.insert(flowsessionEntity, { name: 'ended', statecode: 1, statuscode: 4, runmode: 2, priority: 0, callbackurl })['flowsessionid']);
  return { store, trigger: () => delivery.trigger(sessionId) };
}

describe('orchestrator callback delivery', () => {
  // The name resolves (for the policy) to the allow-listed loopback receiver, and to nothing at all through the
  // system resolver: the request can only arrive if it is pinned to the address the policy checked.
  it('connects to the address the policy checked, not to what DNS answers later', async () => {
    const { port, requests } = await receiver();
    const { store, trigger } = deliveryFor(`http://rebind.flowhost.invalid:${port}/cb`, {
      allowHosts: ['rebind.flowhost.invalid'],
      lookupAll: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const id = trigger();
    await waitFor(() => store.get(backgroundoperationEntity, id)?.['statecode'] === 3, { what: 'the delivery to end' });
    expect(store.get(backgroundoperationEntity, id)).toMatchObject({ statuscode: 30, errormessage: null });
    expect(requests()).toEqual([`POST /cb host=rebind.flowhost.invalid:${port}`]);
  });

  it('refuses a name that resolves to a metadata address, without a request', async () => {
    const { port, requests } = await receiver();
    const { store, trigger } = deliveryFor(`https://hooks.example.com:${port}/cb`, { lookupAll: async () => [{ address: '169.254.169.254', family: 4 }] });
    const id = trigger();
    await waitFor(() => store.get(backgroundoperationEntity, id)?.['statecode'] === 3, { what: 'the delivery to end' });
    expect(store.get(backgroundoperationEntity, id)).toMatchObject({ statuscode: 31, errormessage: expect.stringMatching(/refused: .*169\.254\.169\.254, a metadata address/) });
    expect(requests()).toEqual([]);
  });
});
