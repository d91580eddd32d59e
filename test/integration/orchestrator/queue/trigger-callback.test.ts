import { afterEach, describe, expect, it } from 'vitest';
import { backgroundoperationEntity } from '../../../../shared/records/index.js';
import { waitFor } from '../../../support/wait-for.js';
import { nodeHmacSha256 } from '../../../../node-shared/node-hmac.js';
import { verifyCallback } from '../../../../shared/callback-signature.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { CallbackReceiver, type ReceivedCallback } from '../../../support/callback-receiver.js';

let o: TestOrchestrator;
let server: CallbackReceiver | undefined;
afterEach(async () => {
  await o?.close();
  await server?.close();
  server = undefined;
});

/** A receiver that answers the given statuses in turn (the last one forever); `at`: the orchestrator's clock then. */
async function receiver(statuses: number[]): Promise<{ url: string; requests: (ReceivedCallback & { at: number })[] }> {
  const at: number[] = [];
  server = await CallbackReceiver.start((n) => {
    at.push(o.clock.now().getTime());
    // Ten minutes pass before the next attempt: twice the receiver's replay window.
    o.clock.advance(10 * 60_000);
    return statuses[Math.min(n, statuses.length - 1)]!;
  });
  const rx = server;
  return {
    url: rx.url('/cb'),
    get requests() {
      return rx.requests.map((r, i) => ({ ...r, at: at[i]! }));
    },
  };
}

const ops = () => o.store.records.list(backgroundoperationEntity);

async function finishedSession(callbackurl: string): Promise<string> {
  const groupId = String((await o.group('g1'))['flowmachinegroupid']);
  const wfId = String((await o.workflow())['workflowid']);
  const id = await o.session(wfId, { _machinegroupid_value: groupId, callbackurl });
  return id;
}

describe('TriggerDesktopFlowRunCallback', () => {
  it('re-delivers the signed callback with retries on 503 until it succeeds; each attempt is signed (as the orchestrator) when it is made', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { callbackAllowHosts: ['127.0.0.1'], callbackBaseDelayMs: 10 } });
    const rx = await receiver([503, 503, 200]);
    const id = await finishedSession(rx.url);
    await expect(o.gateway.queue.triggerCallback(id)).rejects.toThrow(/has not finished/);
    // Cancelling a waiting session ends it on the orchestrator, which sends its callback itself.
    await o.gateway.queue.cancel(id);
    await waitFor(async () => (await ops())[0]?.['statuscode'] === 30, { what: 'first delivery succeeded' });
    await o.gateway.queue.triggerCallback(id);
    await waitFor(async () => (await ops()).filter((op) => op['statuscode'] === 30).length === 2, { what: 'second delivery succeeded' });
    expect(rx.requests).toHaveLength(4);
    const session = (await o.store.sessions.get(id))!;
    for (const r of rx.requests) {
      expect(r.headers['idempotency-key']).toBe(id);
      const verified = verifyCallback(String(r.headers['x-flowhost-signature']), r.body, { secrets: ['callback-secret-0123456789'], nowSeconds: r.at / 1000, hmac: nodeHmacSha256 });
      expect(verified).toEqual({ ok: true, signer: 'orchestrator', t: Math.floor(r.at / 1000) });
      expect(JSON.parse(r.body)).toEqual({ flowsessionid: id, statuscode: 7, statecode: 0, startedon: null, completedon: session['completedon'], errorcode: 'Cancelled' });
    }
    expect((await ops()).map((op) => op['retrycount']).sort()).toEqual([0, 2]);
  });

  it('refuses metadata and non-allow-listed addresses without sending anything', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { callbackBaseDelayMs: 10 } });
    const rx = await receiver([200]);
    const id = await finishedSession('http://169.254.169.254/latest');
    await o.gateway.queue.cancel(id);
    await waitFor(async () => (await ops())[0]?.['statuscode'] === 31);
    expect((await ops())[0]!['errormessage']).toMatch(/https/);
    await o.store.sessions.update(id, { callbackurl: rx.url.replace('http:', 'https:').replace('127.0.0.1', '169.254.169.254') });
    await o.gateway.queue.triggerCallback(id);
    await waitFor(async () => (await ops()).filter((op) => op['statuscode'] === 31).length === 2);
    expect((await ops()).map((op) => String(op['errormessage'])).join('\n')).toContain('metadata');
    expect(rx.requests).toHaveLength(0);
  });
});
