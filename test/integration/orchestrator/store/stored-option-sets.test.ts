import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowLogLevel, LogType } from '../../../../shared/option-sets.js';
import { WireLogLevel } from '../../../../shared/protocol.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';

const SESSION = '0a000000-0000-4000-8000-0000000000aa';

describe('a SQLite database from before Microsoft option sets', () => {
  it('has its flowlog levels rewritten once, when first opened by this orchestrator', async () => {
    const file = join(tempDir(), 'orchestrator.db');
    const line = (seq: number, level: number) => ({ _flowsessionid_value: SESSION, seq, type: LogType.v.CustomLog, level });
    const first = new SqliteStore({ file });
    await first.logs.insertMany([line(1, WireLogLevel.Information), line(2, WireLogLevel.Warning), line(3, WireLogLevel.Error)]);
    await first.close();
    // As an older orchestrator left it: the old meanings stored, no marker.
    const raw = new Database(file);
    raw.prepare("DELETE FROM meta WHERE key = 'store.optionsets.microsoft'").run();
    raw.close();

    const levels = async () => {
      const store = new SqliteStore({ file });
      try {
        return (await store.logs.forSession(SESSION)).map((r) => FlowLogLevel.labels.get(Number(r.level)));
      } finally {
        await store.close();
      }
    };
    expect(await levels()).toEqual(['Info', 'Warning', 'Error']);
    expect(await levels()).toEqual(['Info', 'Warning', 'Error']);
  });

  it('leaves the levels of a database made by this orchestrator as written', async () => {
    const file = join(tempDir(), 'orchestrator.db');
    const store = new SqliteStore({ file });
    await store.logs.insertMany([{ _flowsessionid_value: SESSION, seq: 1, type: LogType.v.CustomLog, level: FlowLogLevel.v.Debug }]);
    await store.close();
    const again = new SqliteStore({ file });
    expect((await again.logs.forSession(SESSION)).map((r) => r.level)).toEqual([FlowLogLevel.v.Debug]);
    await again.close();
  });
});
