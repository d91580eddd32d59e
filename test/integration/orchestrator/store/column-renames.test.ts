import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';

const OP = '0a000000-0000-4000-8000-000000000001';

describe("a SQLite database from before seed 002's backgroundoperation names", () => {
  it('has its statecode/statuscode columns renamed once, their values kept, when first opened by this orchestrator', async () => {
    const file = join(tempDir(), 'orchestrator.db');
    const first = new SqliteStore({ file });
    await first.operations.insert({ backgroundoperationid: OP, name: 'bulk:x', backgroundoperationstatecode: 3, backgroundoperationstatuscode: 30 });
    await first.close();
    // As an older orchestrator left it: the old column names, no marker.
    const raw = new Database(file);
    raw.exec('ALTER TABLE backgroundoperations RENAME COLUMN backgroundoperationstatecode TO statecode');
    raw.exec('ALTER TABLE backgroundoperations RENAME COLUMN backgroundoperationstatuscode TO statuscode');
    raw.prepare("DELETE FROM meta WHERE key = 'store.columns.seednames'").run();
    raw.close();

    for (let start = 0; start < 2; start++) {
      const store = new SqliteStore({ file });
      try {
        expect(await store.operations.get(OP)).toMatchObject({ backgroundoperationstatecode: 3, backgroundoperationstatuscode: 30 });
        expect(await store.operations.openWithPrefix('bulk:')).toEqual([]);
      } finally {
        await store.close();
      }
    }
    const columns = new Database(file);
    const names = (columns.prepare('PRAGMA table_info(backgroundoperations)').all() as { name: string }[]).map((c) => c.name);
    columns.close();
    expect(names).not.toContain('statecode');
    expect(names).not.toContain('statuscode');
  });
});
