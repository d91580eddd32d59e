import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { CallbackDelivery } from '../../../../../main/agent/callback/callback-delivery.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { CallbackReceiver } from '../../../../support/callback-receiver.js';
import { storeWithCallback } from '../../../../support/callback-store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('callback delivery against the real AgentStore', () => {
  it('a completed session with a callbackurl is delivered once, retries surviving a store reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-cbstore-'));
    dirs.push(dir);
    const receiver = await CallbackReceiver.start((n) => (n === 0 ? 503 : 200));
    const url = receiver.url('/cb');

    let clock = new Date('2026-03-01T10:00:00Z');
    const now = () => clock;
    const file = join(dir, 'agent.db');
    const made = storeWithCallback(file, url, { now });
    let store = made.store;
    const sessionId = made.sessionId;
    expect(store.pendingCallbackCount()).toBe(1);

    const logger = winston.createLogger({ silent: true });
    const worker = (s: AgentStore) => new CallbackDelivery({ store: s, signing: { signer: '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e22', key: () => 's'.repeat(20) }, policy: { allow: ['127.0.0.1'] }, logger, now, random: () => 0.5 });
    await worker(store).deliverDue();
    expect(store.pendingCallbackCount()).toBe(1);
    store.close();

    store = AgentStore.open(file, { now });
    clock = new Date(clock.getTime() + 60_000);
    await worker(store).deliverDue();
    expect(store.pendingCallbackCount()).toBe(0);
    expect(receiver.keys()).toEqual([sessionId, sessionId]);
    store.close();
    await receiver.close();
  });
});
