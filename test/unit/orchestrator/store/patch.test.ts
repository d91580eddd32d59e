import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flowmachineEntity } from '../../../../shared/records/index.js';
import { SqliteTables } from '../../../../orchestrator/store/sqlite-tables.js';
import { tempDir } from '../../../support/temp-dir.js';

let store: SqliteTables | undefined;
afterEach(() => store?.close());

describe('SqliteTables.patch', () => {
  it('changes the row like update (version and modifiedon bumped) without reading it back; false for an unknown id', () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    store = new SqliteTables({ file: join(tempDir(), 'o.db'), now: () => new Date(now) });
    const id = String(store.insert(flowmachineEntity, { name: 'm', connected: false, statecode: 0 })['flowmachineid']);
    now += 5000;
    expect(store.patch(flowmachineEntity, id, { connected: true, lastheartbeatdate: '2030-01-01T00:00:04.000Z', versionnumber: 99, createdon: 'x' })).toBe(true);
    expect(store.get(flowmachineEntity, id)).toMatchObject({
      connected: true,
      lastheartbeatdate: '2030-01-01T00:00:04.000Z',
      versionnumber: 2,
      createdon: '2030-01-01T00:00:00.000Z',
      modifiedon: '2030-01-01T00:00:05.000Z',
    });
    expect(store.patch(flowmachineEntity, '00000000-0000-0000-0000-000000000000', { connected: true })).toBe(false);
    expect(() => store!.patch(flowmachineEntity, id, { nosuchfield: 1 })).toThrow(/no field/);
  });
});
