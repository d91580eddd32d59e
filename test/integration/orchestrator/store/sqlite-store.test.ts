import { join } from 'node:path';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite (file on disk)', () => {
  const store = new SqliteStore({ file: join(tempDir(), 'flowhost.db') });
  return { store, close: async () => await store.close() };
});
