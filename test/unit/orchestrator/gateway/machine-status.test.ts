import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import { MachineStatusWriter } from '../../../../orchestrator/gateway/machine-status.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { agentState } from '../../../support/fake-agent.js';
import { tempDir } from '../../../support/temp-dir.js';

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

async function setup(machines: number) {
  store = new SqliteStore({ file: join(tempDir(), 'o.db') });
  const ids: string[] = [];
  for (let i = 0; i < machines; i++) ids.push((await store.machines.insert({ name: `m${i}`, statecode: 0, statuscode: 2, connected: false })).flowmachineid);
  const writer = new MachineStatusWriter({ store, logger: winston.createLogger({ silent: true }), heartbeatFlushMs: 60_000 });
  return { store, ids, writer };
}

describe('MachineStatusWriter', () => {
  it('writes the heartbeats of many machines in one transaction, on flush', async () => {
    const { store, ids, writer } = await setup(20);
    const transaction = vi.spyOn(store, 'crashSafeTransaction');
    const at = new Date('2030-01-01T00:00:05Z');
    for (const id of ids) writer.heartbeat(id, at);
    expect((await store.machines.get(ids[0]!))!['lastheartbeatdate']).toBeNull();
    await writer.flush();
    expect(transaction).toHaveBeenCalledTimes(1);
    for (const id of ids) expect((await store.machines.get(id))!['lastheartbeatdate']).toBe(at.toISOString());
    await writer.close();
  });

  it('commits its batches in the order it took them, also when the store answers the first one late', async () => {
    const { store, ids, writer } = await setup(1);
    const id = ids[0]!;
    let release!: () => void;
    const late = new Promise<void>((resolve) => (release = resolve));
    const original = store.crashSafeTransaction.bind(store);
    let calls = 0;
    vi.spyOn(store, 'crashSafeTransaction').mockImplementation(async (fn) => {
      if (calls++ === 0) await late;
      return original(fn);
    });
    const at = new Date('2030-01-01T00:00:05Z');
    writer.hello(id, agentState(), at, {});
    const hello = writer.flush();
    writer.disconnected(id);
    const disconnect = writer.flush();
    release();
    await Promise.all([hello, disconnect]);
    expect(await store.machines.get(id)).toMatchObject({ connected: false, statuscode: 2 });
    await writer.close();
  });

  it('writes hellos and disconnects at the end of the turn, with the state frames before them, merged in arrival order', async () => {
    const { store, ids, writer } = await setup(2);
    const [a, b] = ids as [string, string];
    const at = new Date('2030-01-01T00:00:05Z');
    writer.state(a, agentState({ freeSlots: 3, draining: true }), at);
    writer.hello(b, agentState({ freeSlots: 1 }), at, { agentversion: '9.9' });
    writer.disconnected(b);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await store.machines.get(a)).toMatchObject({ connected: true, freeslots: 3, draining: true, statuscode: 5, lastheartbeatdate: at.toISOString() });
    expect(await store.machines.get(b)).toMatchObject({ connected: false, freeslots: 1, statuscode: 2, agentversion: '9.9' });
    await writer.close();
  });
});
