import { afterAll, beforeAll, describe } from 'vitest';
import { openStore } from '../../../../orchestrator/store/store.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../../../support/postgres.js';
import { skipUnless } from '../../../support/requirements.js';
import { filterSemantics } from './filter-semantics.js';
import { storeContract, type StoreFactory } from './store-contract.js';
import { storeTransactionContract } from './store-contract-transactions.js';

describe.skipIf(skipUnless(hasPostgres, POSTGRES))('PostgreSQL store', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());

  // Each test on a fresh database of the file's server, opened as an orchestrator opens it: by its URL.
  const open: StoreFactory = async () => {
    const store = await openStore(server.url(await server.createDatabase()));
    return { store, close: () => store.close(), transactionsTakeTurns: false };
  };
  storeContract('PostgreSQL', open);
  storeTransactionContract('PostgreSQL', open);
  filterSemantics('PostgreSQL', open);
});
