import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsessionEntity } from '../../../../shared/records/index.js';
import { checkFilter, parseFilter } from '../../../../orchestrator/odata/index.js';
import type { Store } from '../../../../orchestrator/store/store.js';
import type { StoreFactory } from './store-contract.js';

const G1 = '1b2c3d4e-0000-1111-2222-333344445555';
const G2 = 'abcdef01-0000-1111-2222-333344445555';

/** What a checked `$filter` selects on a real store, the same on every engine: its dialect compiles it (sqlite-filter.ts, postgres-filter.ts). */
export function filterSemantics(engine: string, open: StoreFactory): void {
  describe(`$filter semantics: ${engine}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
      const rows = [
        { name: 'Alpha', priority: 100, _machineid_value: G1, machinepercentcpuusage: 12.5, createdon: '2026-01-01T00:00:00.000Z' },
        { name: 'beta 50%', priority: 0, _machineid_value: G2, machinepercentcpuusage: null, createdon: '2026-02-01T00:00:00.000Z' },
        { name: 'gamma_x', priority: null, _machineid_value: null, machinepercentcpuusage: 99, createdon: '2026-03-01T00:00:00.000Z' },
        { name: null, priority: -5, _machineid_value: G1.toUpperCase(), machinepercentcpuusage: 0, createdon: '2025-12-31T23:59:59.999Z' },
      ];
      for (const row of rows) await store.sessions.insert(row);
    });
    afterAll(() => close());

    const names = async (text: string): Promise<unknown[]> => {
      const filter = checkFilter(flowsessionEntity, parseFilter(text));
      return (await store.records.list(flowsessionEntity, { filter, orderBy: [{ field: 'createdon', descending: false }] })).map((r) => r['name']);
    };

    it('compares strings case-insensitively', async () => {
      expect(await names("name eq 'ALPHA'")).toEqual(['Alpha']);
      expect(await names("name gt 'B'")).toEqual(['beta 50%', 'gamma_x']);
    });

    it('matches LIKE wildcards literally', async () => {
      expect(await names("contains(name,'%')")).toEqual(['beta 50%']);
      expect(await names("contains(name,'_')")).toEqual(['gamma_x']);
      expect(await names("startswith(name,'AL')")).toEqual(['Alpha']);
      expect(await names("endswith(name,'0%')")).toEqual(['beta 50%']);
    });

    it('finds lookups by GUID whatever their case', async () => {
      expect(await names(`_machineid_value eq ${G1}`)).toEqual([null, 'Alpha']);
      expect(await names(`_machineid_value eq null`)).toEqual(['gamma_x']);
    });

    it('gives null rows OData semantics: ne includes them, not(gt) includes them', async () => {
      expect(await names('priority ne 0')).toEqual([null, 'Alpha', 'gamma_x']);
      expect(await names('priority gt 0')).toEqual(['Alpha']);
      expect(await names('not (priority gt 0)')).toEqual([null, 'beta 50%', 'gamma_x']);
      expect(await names("not contains(name,'a')")).toEqual([null]);
    });

    it('compares numbers and date-times by value', async () => {
      expect(await names('machinepercentcpuusage ge 12.5')).toEqual(['Alpha', 'gamma_x']);
      expect(await names('createdon ge 2026-01-01T01:00:00+01:00')).toEqual(['Alpha', 'beta 50%', 'gamma_x']);
      expect(await names('createdon lt 2026-01-01')).toEqual([null]);
    });

    it("runs the largest filter the parser allows within the engine's limits", async () => {
      const big = Array.from({ length: 400 }, (_, i) => `priority eq ${i}`).join(' or ');
      expect(await names(big)).toEqual(['Alpha', 'beta 50%']);
    });
  });
}
