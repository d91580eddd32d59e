import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flowlogEntity, flowmachineEntity } from '../../../../shared/records/index.js';
import { SqliteTables } from '../../../../orchestrator/store/sqlite-tables.js';
import { StoreError } from '../../../../orchestrator/store/store.js';
import { timeOrderedUuid } from '../../../../orchestrator/store/time-ordered-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NOW = new Date('2030-01-02T03:04:05.000Z');
let dir: string;
let store: SqliteTables;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowhost-insert-many-'));
  store = new SqliteTables({ file: join(dir, 'o.db'), now: () => NOW });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sessionId = '11111111-1111-4111-8111-111111111111';
const logRow = (seq: number, extra: Record<string, unknown> = {}) => ({ _flowsessionid_value: sessionId, name: 'stdout', type: 100000006, level: 100000001, data: `{"n":${seq}}`, seq, ...extra });
const rows = () => store.query(flowlogEntity, { orderBy: 'seq' });

describe('SqliteTables.insertMany', () => {
  it('inserts every row as insert does: time-ordered keys, createdon/modifiedon now unless given, version 1', () => {
    store.insertMany(flowlogEntity, [logRow(0), logRow(1, { createdon: '2029-12-31T00:00:00.000Z', versionnumber: 7 }), logRow(2, { flowlogid: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' })]);
    const got = rows();
    expect(got.map((r) => r['seq'])).toEqual([0, 1, 2]);
    expect(got[0]).toMatchObject({ data: '{"n":0}', createdon: NOW.toISOString(), modifiedon: NOW.toISOString(), versionnumber: 1 });
    expect(got[1]).toMatchObject({ createdon: '2029-12-31T00:00:00.000Z', versionnumber: 1 });
    expect(got[2]!['flowlogid']).toBe('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    expect(String(got[0]!['flowlogid'])).toMatch(V7);
    expect(String(got[0]!['flowlogid']) < String(got[1]!['flowlogid'])).toBe(true);
    // What insert would have stored, field for field.
    const single = store.insert(flowlogEntity, logRow(3));
    expect(Object.keys(got[0]!).sort()).toEqual(Object.keys(single).sort());
  });

  it('inserts more rows than one statement carries (several statements, then the rest one by one), in order', () => {
    store.insertMany(flowlogEntity, Array.from({ length: 150 }, (_, i) => logRow(i, i === 100 ? { createdon: '2029-12-31T00:00:00.000Z' } : {})));
    const got = rows();
    expect(got.map((r) => r['seq'])).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(got.map((r) => r['data'])).toEqual(Array.from({ length: 150 }, (_, i) => `{"n":${i}}`));
    expect(new Set(got.map((r) => r['flowlogid'])).size).toBe(150);
    expect(got.filter((r) => r['createdon'] !== NOW.toISOString()).map((r) => r['seq'])).toEqual([100]);
    // A clash inside a multi-row statement: nothing of the call is kept.
    const id = String(got[0]!['flowlogid']);
    expect(() => store.insertMany(flowlogEntity, Array.from({ length: 70 }, (_, i) => logRow(200 + i, i === 30 ? { flowlogid: id } : {})))).toThrow(StoreError);
    expect(rows()).toHaveLength(150);
  });

  it('stores booleans as insert does', () => {
    store.insertMany(flowmachineEntity, [
      { name: 'a', connected: true },
      { name: 'b', connected: false },
    ]);
    expect(store.query(flowmachineEntity, { orderBy: 'name' }).map((r) => r['connected'])).toEqual([true, false]);
  });

  it('is atomic: an unknown field or a key clash inserts none of the rows', () => {
    expect(() => store.insertMany(flowlogEntity, [logRow(0), { ...logRow(1), nosuchfield: 1 }])).toThrow(new StoreError('Conflict', "flowlog has no field 'nosuchfield'"));
    const id = randomUUID();
    expect(() => store.insertMany(flowlogEntity, [logRow(0, { flowlogid: id }), logRow(1, { flowlogid: id })])).toThrow(StoreError);
    expect(rows()).toEqual([]);
  });

  it('joins the caller`s transaction', () => {
    expect(() =>
      store.transaction(() => {
        store.insertMany(flowlogEntity, [logRow(0)]);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(rows()).toEqual([]);
    store.insertMany(flowlogEntity, []);
    expect(rows()).toEqual([]);
  });
});

describe('timeOrderedUuid', () => {
  it('is a UUID v7 whose text order is the order of creation, within a millisecond and across many', () => {
    const ids = [...Array.from({ length: 5000 }, () => timeOrderedUuid(4_000_000_000_000)), timeOrderedUuid(4_000_000_000_001), timeOrderedUuid(4_000_000_000_500)];
    expect(ids.every((id) => V7.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.slice(0, 13)).toBe(`${(4_000_000_000_000).toString(16).padStart(12, '0').slice(0, 8)}-${(4_000_000_000_000).toString(16).slice(-4)}`);
  });

  it('keeps increasing when the clock steps back', () => {
    const a = timeOrderedUuid(4_100_000_000_000);
    const b = timeOrderedUuid(4_099_999_999_000);
    expect(b > a).toBe(true);
  });
});
