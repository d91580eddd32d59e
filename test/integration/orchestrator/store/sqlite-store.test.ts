import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { filterSemantics } from './filter-semantics.js';
import { storeContract, type StoreFactory } from './store-contract.js';
import { storeTransactionContract } from './store-contract-transactions.js';

/** A store on a file in a directory of its own, removed by `close` (opened per test or per suite). */
const open: StoreFactory = () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-store-'));
  const store = new SqliteStore({ file: join(dir, 'flowhost.db') });
  const close = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return Promise.resolve({ store, close, transactionsTakeTurns: true });
};

storeContract('SQLite (file on disk)', open);
storeTransactionContract('SQLite (file on disk)', open);
filterSemantics('SQLite (file on disk)', open);
