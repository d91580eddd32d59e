import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openStore, type ChangeListener, type Store } from '../../../../orchestrator/store/store.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../../../support/postgres.js';
import { skipUnless } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';

const S1 = '0d000000-0000-4000-8000-000000000001';
const S2 = '0d000000-0000-4000-8000-000000000002';
const S3 = '0d000000-0000-4000-8000-000000000003';

/** What a subscriber heard, in order. */
async function heard(store: Store): Promise<string[]> {
  const got: string[] = [];
  const listener: ChangeListener = { changed: (kind, id) => got.push(`${kind} ${id}`), missed: () => got.push('missed') };
  onTestFinished(await store.notifications.subscribe(listener));
  return got;
}

describe.skipIf(skipUnless(hasPostgres, POSTGRES))('PostgreSQL store: notifications across instances (LISTEN/NOTIFY)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());

  async function instances(): Promise<[Store, Store]> {
    const url = server.url(await server.createDatabase());
    const a = await openStore(url);
    const b = await openStore(url);
    onTestFinished(async () => {
      await a.close();
      await b.close();
    });
    return [a, b];
  }

  it('another instance hears a change once its transaction commits, never a rolled-back one; nobody hears itself', async () => {
    const [a, b] = await instances();
    const [atA, atB] = [await heard(a), await heard(b)];
    await expect(
      a.transaction(async (tx) => {
        await tx.notifications.publish('session', S1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await a.transaction(async (tx) => {
      await tx.notifications.publish('session', S2);
      // Not sent before the commit.
      await b.sessions.get(S2);
      expect(atB).toEqual([]);
    });
    await a.notifications.publish('machine', S3);
    await waitFor(() => atB.length === 2, { what: "b hears a's two changes" });
    expect(atB).toEqual([`session ${S2}`, `machine ${S3}`]);
    await b.notifications.publish('session', S1);
    await waitFor(() => atA.length === 1, { what: "a hears b's change" });
    expect(atA).toEqual([`session ${S1}`]);
    expect(atB).toHaveLength(2);
  });

  it('after the server is killed and back, subscribers are told they may have missed changes, and hear again', async () => {
    const [a, b] = await instances();
    const atB = await heard(b);
    await server.kill();
    await server.start();
    await waitFor(() => atB.includes('missed'), { timeoutMs: 20_000, what: 'b told it may have missed changes' });
    await waitFor(async () => (await a.notifications.publish('session', S1).then(() => true, () => false)) && atB.includes(`session ${S1}`), { timeoutMs: 20_000, what: "b hears a's change again" });
  });
});
