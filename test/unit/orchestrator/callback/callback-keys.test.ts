import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupCallbackSecret } from '../../../../orchestrator/callback/callback-keys.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

describe('groupCallbackSecret', () => {
  it('gives two callers that find no secret at once the same new one (the first write wins, the other reads it)', async () => {
    store = new SqliteStore({ file: join(tempDir(), 'o.db') });
    const { flowmachinegroupid: id } = await store.groups.insert({ name: 'g', statecode: 0 });
    const [a, b] = await Promise.all([groupCallbackSecret(store, id), groupCallbackSecret(store, id)]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect((await store.groups.get(id))?.callbacksecret).toBe(a);
  });
});
