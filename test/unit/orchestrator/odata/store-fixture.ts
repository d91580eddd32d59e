import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';

/** A real SQLite store in a temp dir, for running compiled filters; `close()` removes it. */
export function openTempStore(): { store: SqliteStore; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'odata-'));
  const store = new SqliteStore({ file: join(dir, 'flowhost.db') });
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
