import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { flowmachineEntity } from '../../../../shared/records/index.js';
import { openStore, type Store } from '../../../../orchestrator/store/store.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../../../support/postgres.js';
import { skipUnless } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';

const M1 = '0b000000-0000-4000-8000-000000000001';
const M2 = '0b000000-0000-4000-8000-000000000002';
const M3 = '0b000000-0000-4000-8000-000000000003';

describe.skipIf(skipUnless(hasPostgres, POSTGRES))('PostgreSQL store: failures and several instances', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());

  /** A store on `database` (a fresh one by default), closed when the test ends. */
  async function opened(database?: string): Promise<{ store: Store; database: string }> {
    const name = database ?? (await server.createDatabase());
    const store = await openStore(server.url(name));
    onTestFinished(() => store.close());
    return { store, database: name };
  }

  it("sees another instance's commits on the same database, and refuses its clashing key", async () => {
    const { store: a, database } = await opened();
    const { store: b } = await opened(database);
    await a.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M1, name: 'from a' }));
    expect((await b.machines.get(M1))?.name).toBe('from a');
    await expect(b.machines.insert({ flowmachineid: M1, name: 'from b' })).rejects.toMatchObject({ name: 'StoreError', code: 'Conflict' });
  });

  it('keeps a commit that returned across a kill -9 of the server; a transaction it cut rejects and leaves nothing', async () => {
    const { store } = await opened();
    await store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M1, name: 'committed' }));
    let inserted!: () => void;
    const hasInserted = new Promise<void>((resolve) => (inserted = resolve));
    let killed!: () => void;
    const serverKilled = new Promise<void>((resolve) => (killed = resolve));
    const cut = store.transaction(async (tx) => {
      await tx.machines.insert({ flowmachineid: M2, name: 'never committed' });
      inserted();
      // Idle in its transaction while the server dies: the process must not end on the client's error event.
      await serverKilled;
      await tx.machines.insert({ flowmachineid: M3, name: 'after the kill' });
    });
    await hasInserted;
    await server.kill();
    killed();
    await expect(cut).rejects.toThrow();

    await server.start();
    expect((await store.machines.get(M1))?.name).toBe('committed');
    expect(await store.machines.get(M2)).toBeUndefined();
    await store.transaction((tx) => tx.machines.insert({ flowmachineid: M3, name: 'after the restart' }));
    expect((await store.machines.all()).map((m) => m.name).sort()).toEqual(['after the restart', 'committed']);
  });

  it('keeps the commit of an orchestrator killed -9 right after it returned', async () => {
    const { database } = await opened();
    const dir = tempDir();
    const child = join(dir, 'child.mts');
    const storeModule = fileURLToPath(new URL('../../../../orchestrator/store/store.ts', import.meta.url));
    writeFileSync(
      child,
      `import { openStore } from ${JSON.stringify(storeModule)};
const store = await openStore(process.env.FLOWHOST_STORE);
await store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: '${M1}', name: 'kept' }));
process.kill(process.pid, 'SIGKILL');
`,
    );
    // The URL holds the password: in the environment, never in argv.
    const result = spawnSync(process.execPath, ['--import', 'tsx', child], { cwd: process.cwd(), encoding: 'utf8', env: { ...process.env, FLOWHOST_STORE: server.url(database) } });
    expect(result.signal).toBe('SIGKILL');
    const { store } = await opened(database);
    expect((await store.machines.get(M1))?.name).toBe('kept');
  });

  it('surfaces a deadlock (40P01) as the rejection of one transaction, run once, and commits the other', async () => {
    const { store } = await opened();
    await store.machines.insert({ flowmachineid: M1, name: 'm1' });
    await store.machines.insert({ flowmachineid: M2, name: 'm2' });
    let runs = 0;
    const locked: Promise<void>[] = [];
    const lockers: (() => void)[] = [];
    for (let i = 0; i < 2; i++) locked.push(new Promise<void>((resolve) => lockers.push(resolve)));
    const crosswise = (first: string, second: string, i: number) =>
      store.transaction(async (tx) => {
        runs++;
        await tx.machines.patch(first, { name: `locked by ${i}` });
        lockers[i]!();
        await locked[1 - i];
        await tx.machines.patch(second, { name: `locked by ${i}` });
      });
    const results = await Promise.allSettled([crosswise(M1, M2, 0), crosswise(M2, M1, 1)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: '40P01' } });
    expect(runs).toBe(2);
    const names = new Set((await store.machines.all()).map((m) => m.name));
    expect(names.size).toBe(1);
  });

  it('refuses the commit of a transaction in which a statement failed, even when its code caught the error', async () => {
    const { store } = await opened();
    const failed = store.transaction(async (tx) => {
      await tx.machines.insert({ flowmachineid: M1, name: 'in the failed transaction' });
      // The generic path with a key PostgreSQL cannot store (callers validate GUIDs; this one slipped through).
      await tx.records.insert(flowmachineEntity, { flowmachineid: 'no guid', name: 'x' }).catch(() => undefined);
    });
    await expect(failed).rejects.toThrow('the transaction was rolled back: a statement in it failed');
    expect(await store.machines.get(M1)).toBeUndefined();
  });

  it('refuses a database whose commits are not durable when they return (synchronous_commit off)', async () => {
    const database = await server.createDatabase();
    const admin = new pg.Client(server.connection(database));
    await admin.connect();
    await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
    await admin.end();
    await expect(openStore(server.url(database))).rejects.toThrow('synchronous_commit = off');
  });
});
