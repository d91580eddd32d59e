import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackgroundOperationState, BackgroundOperationStatus, FlowLogLevel, LogType, SessionState, SessionStatus } from '../../../../shared/option-sets.js';
import { flowlogEntity, flowmachineEntity, type FlowSession } from '../../../../shared/records/index.js';
import { checkFilter, parseFilter } from '../../../../orchestrator/odata/index.js';
import { StoreError, type SessionRecord, type Store, type Values } from '../../../../orchestrator/store/store.js';

/** A fresh, empty store; `close` closes and removes it. */
export interface OpenedStore {
  readonly store: Store;
  readonly close: () => Promise<void>;
  /** Whether the engine runs one transaction at a time (SQLite) rather than several at once (PostgreSQL). */
  readonly transactionsTakeTurns: boolean;
}
export type StoreFactory = () => Promise<OpenedStore>;

const S = SessionStatus.v;
export const WF = '0a000000-0000-4000-8000-000000000001';
export const M1 = '0b000000-0000-4000-8000-000000000001';
export const M2 = '0b000000-0000-4000-8000-000000000002';
const G1 = '0c000000-0000-4000-8000-000000000001';

export async function storeError(fn: () => Promise<unknown>): Promise<StoreError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('no StoreError thrown');
}

/**
 * What every store engine must do, written once: run it against each (`storeContract('SQLite', …)`). Covers each
 * repository method, versions (ETags), conflicts and GUIDs; transactions are in store-contract-transactions.ts.
 */
export function storeContract(engine: string, open: StoreFactory): void {
  describe(`store contract: ${engine}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => ({ store, close } = await open()));
    afterEach(() => close());

    const session = (values: Values<FlowSession>): Promise<SessionRecord> =>
      store.sessions.insert({ _regardingobjectid_value: WF, statecode: SessionState.v.Active, statuscode: S.Waiting, ...values });

    describe('entity repositories', () => {
      it('insert fills key, times and version 1; get returns the typed record with every field', async () => {
        const m = await store.machines.insert({ name: 'm1', connected: true, sessioncapacity: 2 });
        expect(m.flowmachineid).toMatch(/^[0-9a-f-]{36}$/);
        expect(m.versionnumber).toBe(1);
        expect(m.createdon).toBe(m.modifiedon);
        expect(m.createdon).toBe(new Date(m.createdon).toISOString());
        expect(m.connected).toBe(true);
        expect(m.sessioncapacity).toBe(2);
        expect(m.paused).toBeNull();
        expect(await store.machines.get(m.flowmachineid)).toEqual(m);
        expect(await store.machines.get(M2)).toBeUndefined();
      });

      it('update bumps the version; a stale ifVersion is PreconditionFailed; a missing id NotFound', async () => {
        const m = await store.machines.insert({ flowmachineid: M1, name: 'm1' });
        const changed = await store.machines.update(M1, { name: 'renamed' }, 1);
        expect(changed).toMatchObject({ name: 'renamed', versionnumber: 2 });
        expect((await storeError(() => store.machines.update(M1, { name: 'again' }, 1))).code).toBe('PreconditionFailed');
        expect((await store.machines.get(M1))?.name).toBe('renamed');
        expect((await storeError(() => store.machines.update(M2, { name: 'x' }))).code).toBe('NotFound');
        expect(m.versionnumber).toBe(1);
      });

      it('patch bumps the version without reading back; false for a missing id', async () => {
        await store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect(await store.machines.patch(M1, { freeslots: 3 })).toBe(true);
        expect(await store.machines.get(M1)).toMatchObject({ freeslots: 3, versionnumber: 2 });
        expect(await store.machines.patch(M2, { freeslots: 3 })).toBe(false);
      });

      it('delete honours ifVersion; a missing id is NotFound', async () => {
        await store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect((await storeError(() => store.machines.delete(M1, 7))).code).toBe('PreconditionFailed');
        await store.machines.delete(M1, 1);
        expect(await store.machines.get(M1)).toBeUndefined();
        expect((await storeError(() => store.machines.delete(M1))).code).toBe('NotFound');
      });

      it('a duplicate key, or a group name that differs only in case, is Conflict', async () => {
        await store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect((await storeError(() => store.machines.insert({ flowmachineid: M1, name: 'm2' }))).code).toBe('Conflict');
        const night = await store.groups.insert({ name: 'Night shift' });
        expect((await storeError(() => store.groups.insert({ name: 'NIGHT SHIFT' }))).code).toBe('Conflict');
        const day = await store.groups.insert({ name: 'Day shift' });
        expect((await storeError(() => store.groups.update(day.flowmachinegroupid, { name: 'night SHIFT' }))).code).toBe('Conflict');
        expect((await storeError(() => store.groups.patch(day.flowmachinegroupid, { name: 'night SHIFT' }))).code).toBe('Conflict');
        expect((await store.groups.all()).map((g) => g.name).sort()).toEqual(['Day shift', 'Night shift']);
        expect(night.versionnumber).toBe(1);
      });

      it('a Conflict inside a transaction leaves it usable: the transaction goes on and commits', async () => {
        await store.groups.insert({ name: 'Night shift' });
        const day = await store.groups.insert({ name: 'Day shift' });
        const answer = await store.transaction(async (tx) => {
          const codes = [(await storeError(() => tx.groups.insert({ name: 'night shift' }))).code];
          codes.push((await storeError(() => tx.groups.update(day.flowmachinegroupid, { name: 'NIGHT shift' }))).code);
          codes.push((await storeError(() => tx.groups.patch(day.flowmachinegroupid, { name: 'NIGHT shift' }))).code);
          await tx.machines.insert({ flowmachineid: M1, name: 'after the clash' });
          return codes;
        });
        expect(answer).toEqual(['Conflict', 'Conflict', 'Conflict']);
        expect((await store.machines.get(M1))?.name).toBe('after the clash');
      });

      it('a key that is no GUID finds nothing: get undefined, update / delete NotFound, patch false, queries empty', async () => {
        await store.machines.insert({ flowmachineid: M1, name: 'm1', _flowmachinegroupid_value: G1 });
        for (const bad of ['not-a-guid', `{${M1}}`, M1.replaceAll('-', ''), `urn:uuid:${M1}`, '']) {
          expect(await store.machines.get(bad)).toBeUndefined();
          expect(await store.records.get(flowmachineEntity, bad)).toBeUndefined();
          expect((await storeError(() => store.machines.update(bad, { name: 'x' }))).code).toBe('NotFound');
          expect((await storeError(() => store.machines.update(bad, { name: 'x' }, 1))).code).toBe('NotFound');
          expect((await storeError(() => store.machines.delete(bad))).code).toBe('NotFound');
          expect(await store.machines.patch(bad, { name: 'x' })).toBe(false);
          expect(await store.machines.inGroup(bad)).toEqual([]);
          expect(await store.sessions.countOpenForMachine(bad)).toBe(0);
          expect(await store.sessions.withUnsplitInputs(bad)).toEqual([]);
          expect(await store.logs.forSession(bad)).toEqual([]);
          expect(await store.logs.lastSeq(bad)).toBeUndefined();
          await store.logs.deleteForSession(bad);
          expect(await store.screenshots.forSession(bad)).toBeUndefined();
        }
        expect((await store.machines.get(M1))?.name).toBe('m1');
      });
    });

    describe('intent queries', () => {
      it('sessions: open counts per machine, workflow and group leave terminal sessions out', async () => {
        await session({ _machineid_value: M1, _machinegroupid_value: G1 });
        await session({ _machineid_value: M1, _machinegroupid_value: G1, statuscode: S.Running });
        await session({ _machineid_value: M1, _machinegroupid_value: G1, statuscode: S.Succeeded });
        await session({ _machineid_value: M2, statuscode: S.Cancelled, statecode: SessionState.v.Inactive });
        expect(await store.sessions.countOpenForMachine(M1)).toBe(2);
        expect(await store.sessions.countOpenForMachine(M2)).toBe(0);
        expect(await store.sessions.countOpenForWorkflow(WF)).toBe(2);
        expect(await store.sessions.countOpenForGroup(G1)).toBe(2);
      });

      it('sessions: waiting in queue order, open assigned, unsplit inputs', async () => {
        const b = await session({ name: 'b', createdon: '2026-01-02T00:00:00.000Z' });
        const a = await session({ name: 'a', createdon: '2026-01-01T00:00:00.000Z', _machineid_value: M1 });
        await session({ name: 'running', statuscode: S.Running, _machineid_value: M2, inputs: '{"x":1}' });
        await session({ name: 'done', statuscode: S.Failed, _machineid_value: M2 });
        expect(a.createdon).toBe('2026-01-01T00:00:00.000Z');
        expect((await store.sessions.waitingInQueueOrder()).map((s) => s.name)).toEqual([a.name, b.name]);
        expect((await store.sessions.openAssigned()).map((s) => s.name).sort()).toEqual(['a', 'running']);
        expect((await store.sessions.withUnsplitInputs(WF.toUpperCase())).map((s) => s.name)).toEqual(['running']);
      });

      it('machines: all, connected, in a group; groups by name ignoring case', async () => {
        const g = await store.groups.insert({ flowmachinegroupid: G1, name: 'Night shift' });
        await store.machines.insert({ flowmachineid: M1, name: 'm1', connected: true, _flowmachinegroupid_value: G1 });
        await store.machines.insert({ flowmachineid: M2, name: 'm2', connected: false });
        expect((await store.machines.all()).map((m) => m.name).sort()).toEqual(['m1', 'm2']);
        expect((await store.machines.connected()).map((m) => m.name)).toEqual(['m1']);
        expect((await store.machines.inGroup(G1)).map((m) => m.name)).toEqual(['m1']);
        expect(await store.groups.byName('NIGHT shift')).toEqual(g);
        expect(await store.groups.byName('day shift')).toBeUndefined();
        expect(await store.groups.all()).toEqual([g]);
      });

      it('workflows with secret inputs; operations open or ready by name prefix', async () => {
        await store.workflows.insert({ name: 'plain', clientdata: '{}', inputschema: '{"type":"object"}' });
        await store.workflows.insert({ name: 'secret', clientdata: '{}', inputschema: '{"properties":{"p":{"type":"string","x-secret":true}}}' });
        expect((await store.workflows.withSecretInputs()).map((w) => w.name)).toEqual(['secret']);
        const St = BackgroundOperationState.v;
        const op = (name: string, statecode: number) => store.operations.insert({ name, backgroundoperationstatecode: statecode, backgroundoperationstatuscode: BackgroundOperationStatus.v.InProgress });
        await op('bulk: a', St.Ready);
        await op('bulk: b', St.Locked);
        await op('bulk: c', St.Completed);
        await op('callback x', St.Ready);
        await op('bulk_ d', St.Ready);
        expect((await store.operations.openWithPrefix('bulk:')).map((o) => o.name).sort()).toEqual(['bulk: a', 'bulk: b']);
        expect((await store.operations.readyWithPrefix('callback ')).map((o) => o.name)).toEqual(['callback x']);
      });

      it("logs: bulk insert, a session's rows in seq order, last seq per session, delete for a session", async () => {
        const S1 = (await session({})).flowsessionid;
        const S2 = (await session({})).flowsessionid;
        expect(await store.logs.lastSeq(S1)).toBeUndefined();
        const line = (sessionId: string, seq: number) => ({ _flowsessionid_value: sessionId, seq, type: LogType.v.CustomLog, level: FlowLogLevel.v.Info, data: '"x"' });
        await store.logs.insertMany(Array.from({ length: 130 }, (_, i) => line(S1, i)));
        await store.logs.insertMany([line(S2, 0)]);
        expect(await store.logs.lastSeq(S1.toUpperCase())).toBe(129);
        expect((await store.logs.forSession(S1.toUpperCase())).map((l) => l.seq)).toEqual(Array.from({ length: 130 }, (_, i) => i));
        expect((await store.logs.forSession(S2)).map((l) => [l.flowlogid.length, l.data, l.versionnumber])).toEqual([[36, '"x"', 1]]);
        expect(await store.records.count(flowlogEntity, checkFilter(flowlogEntity, parseFilter(`_flowsessionid_value eq ${S1}`)))).toBe(130);
        await store.logs.deleteForSession(S1);
        expect(await store.logs.lastSeq(S1)).toBeUndefined();
        expect(await store.logs.lastSeq(S2)).toBe(0);
      });

      it("logs: appendToSession numbers a session's rows after its last (none, or rows already there), per session, in one call", async () => {
        const S1 = (await session({})).flowsessionid;
        const S2 = (await session({})).flowsessionid;
        const row = (data: string) => ({ type: LogType.v.CustomLog, level: FlowLogLevel.v.Info, name: 'stdout', data, createdon: '2030-01-01T00:00:00.000Z' });
        await store.logs.appendToSession(S1, [row('"a"'), row('"b"')]);
        await store.logs.appendToSession(S1, []);
        await store.logs.insertMany([{ _flowsessionid_value: S2, seq: 6, type: LogType.v.CustomLog, level: FlowLogLevel.v.Info, data: '"six"' }]);
        await store.logs.appendToSession(S2.toUpperCase(), [row('"seven"')]);
        await store.transaction(async (tx) => {
          await tx.logs.appendToSession(S1, Array.from({ length: 100 }, (_, i) => row(`"${i}"`)));
          await tx.logs.appendToSession(S1, [row('"last"')]);
        });
        const s1 = await store.logs.forSession(S1);
        expect(s1.map((l) => [l.seq, l.data])).toEqual([[0, '"a"'], [1, '"b"'], ...Array.from({ length: 100 }, (_, i) => [i + 2, `"${i}"`]), [102, '"last"']]);
        expect(s1.every((l) => l.name === 'stdout' && l.createdon === '2030-01-01T00:00:00.000Z' && l._flowsessionid_value?.toLowerCase() === S1.toLowerCase())).toBe(true);
        expect((await store.logs.forSession(S2)).map((l) => [l.seq, l.data])).toEqual([[6, '"six"'], [7, '"seven"']]);
      });

      it('logs: a bulk insert with a clashing key is Conflict and inserts none of its rows', async () => {
        const S1 = (await session({})).flowsessionid;
        const row = (flowlogid: string, seq: number) => ({ flowlogid, _flowsessionid_value: S1, seq, type: LogType.v.CustomLog, level: FlowLogLevel.v.Info });
        await store.logs.insertMany([row(M1, 0)]);
        expect((await storeError(() => store.logs.insertMany([row(M2, 1), row(M1, 2)]))).code).toBe('Conflict');
        expect((await store.logs.forSession(S1)).map((l) => l.seq)).toEqual([0]);
      });

      it('screenshots: one per session (a later one replaces it), read by the stored key, gone with the session', async () => {
        const S1 = (await session({})).flowsessionid;
        const S2 = (await session({})).flowsessionid;
        const png = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, n]);
        expect(await store.screenshots.forSession(S1)).toBeUndefined();
        await store.screenshots.put({ flowsessionid: S1, takenon: '2030-01-01T00:00:00.000Z', png: png(1) });
        await store.screenshots.put({ flowsessionid: S1, takenon: '2030-01-01T00:00:01.000Z', png: png(2) });
        await store.screenshots.put({ flowsessionid: S2, takenon: '2030-01-01T00:00:02.000Z', png: png(3) });
        expect(await store.screenshots.forSession(S1)).toEqual({ flowsessionid: S1, takenon: '2030-01-01T00:00:01.000Z', png: png(2) });
        await store.sessions.delete(S1);
        expect(await store.screenshots.forSession(S1)).toBeUndefined();
        expect((await store.screenshots.forSession(S2))?.png).toEqual(png(3));
      });
    });

    describe('queue state', () => {
      it('applied seq, assignment, target, pending cancel and the masked marker round-trip; cleared ones read as unset', async () => {
        const q = store.queueState;
        expect(await q.appliedSeq(M1)).toBe(0);
        await q.setAppliedSeq(M1, 42);
        expect(await q.appliedSeq(M1)).toBe(42);
        expect(await q.assignment('s1')).toBeUndefined();
        await q.setAssignment('s1', { machineId: M1, state: 'offered', at: '2026-01-01T00:00:00.000Z' });
        expect(await q.assignment('s1')).toEqual({ machineId: M1, state: 'offered', at: '2026-01-01T00:00:00.000Z' });
        await q.setAssignment('s1', undefined);
        expect(await q.assignment('s1')).toBeUndefined();
        expect(await q.target('s1')).toBeUndefined();
        await q.setTarget('s1', null);
        expect(await q.target('s1')).toBeNull();
        await q.setTarget('s1', M2);
        expect(await q.target('s1')).toBe(M2);
        expect(await q.pendingCancel('s1')).toBeNull();
        await q.setPendingCancel('s1', 'timeout');
        expect(await q.pendingCancel('s1')).toBe('timeout');
        await q.setPendingCancel('s1', null);
        expect(await q.pendingCancel('s1')).toBeNull();
        expect(await q.secretInputsMaskedAt()).toBeUndefined();
        await q.setSecretInputsMasked('2026-01-01T00:00:00.000Z');
        expect(await q.secretInputsMaskedAt()).toBe('2026-01-01T00:00:00.000Z');
        expect(await q.serviceIdentity()).toBeUndefined();
        const identity = { organizationId: M1, businessUnitId: M2, userId: '00000000-0000-4000-8000-0000000000f1' };
        await q.setServiceIdentity(identity);
        expect(await q.serviceIdentity()).toEqual(identity);
      });
    });

    describe('records (the Web API generic path)', () => {
      const filter = (text: string) => checkFilter(flowmachineEntity, parseFilter(text));

      it('lists by a checked filter, order, top and skip; counts by filter', async () => {
        for (const [name, freeslots] of [['b', 1], ['A', 2], ['c', null]] as const) await store.records.insert(flowmachineEntity, { name, freeslots });
        const names = async (q: Parameters<Store['records']['list']>[1]) => (await store.records.list(flowmachineEntity, q)).map((r) => r['name']);
        expect(await names({ orderBy: [{ field: 'name', descending: false }] })).toEqual(['A', 'b', 'c']);
        expect(await names({ orderBy: [{ field: 'name', descending: true }], top: 2 })).toEqual(['c', 'b']);
        expect(await names({ orderBy: [{ field: 'name', descending: false }], skip: 1 })).toEqual(['b', 'c']);
        expect(await names({ filter: filter("name eq 'a'") })).toEqual(['A']);
        expect(await names({ filter: filter('freeslots ne null'), orderBy: [{ field: 'freeslots', descending: true }] })).toEqual(['A', 'b']);
        expect(await names({ filter: filter("contains(name,'%')") })).toEqual([]);
        expect(await store.records.count(flowmachineEntity)).toBe(3);
        expect(await store.records.count(flowmachineEntity, filter('not (freeslots gt 1)'))).toBe(2);
      });

      it('filters and orders with SQLite\'s meaning: two-valued nulls, GUIDs and strings ignoring case, nulls first ascending', async () => {
        await store.records.insert(flowmachineEntity, { flowmachineid: M1, name: 'Alpha', freeslots: 1, connected: true, _flowmachinegroupid_value: G1, lastheartbeatdate: '2026-01-01T00:00:00.000Z' });
        await store.records.insert(flowmachineEntity, { flowmachineid: M2, name: 'beta', freeslots: null, connected: false });
        const ids = async (text: string, orderBy?: { field: string; descending: boolean }[]) =>
          (await store.records.list(flowmachineEntity, { filter: text ? filter(text) : undefined, orderBy })).map((r) => r['flowmachineid']);
        expect(await ids('not (freeslots eq 1)')).toEqual([M2]);
        expect(await ids('freeslots ne 1')).toEqual([M2]);
        expect(await ids('not (freeslots lt 5)')).toEqual([M2]);
        expect(await ids(`_flowmachinegroupid_value eq ${G1.toUpperCase()}`)).toEqual([M1]);
        expect(await ids(`_flowmachinegroupid_value ne ${G1}`)).toEqual([M2]);
        expect(await ids("startswith(name,'ALP') or endswith(name,'TA')")).toEqual([M1, M2]);
        expect(await ids('connected eq true and freeslots ge 1 and freeslots lt 1.5')).toEqual([M1]);
        expect(await ids('lastheartbeatdate gt 2025-12-31T23:00:00Z')).toEqual([M1]);
        expect(await ids('', [{ field: 'freeslots', descending: false }])).toEqual([M2, M1]);
        expect(await ids('', [{ field: 'freeslots', descending: true }])).toEqual([M1, M2]);
        expect((await store.records.get(flowmachineEntity, M1))?.['lastheartbeatdate']).toBe('2026-01-01T00:00:00.000Z');
      });

      it('get / update with versions / delete by EntityDef', async () => {
        const r = await store.records.insert(flowmachineEntity, { flowmachineid: M1, name: 'm1' });
        expect(await store.records.get(flowmachineEntity, M1)).toEqual(r);
        expect((await store.records.update(flowmachineEntity, M1, { name: 'm2' }, 1))['versionnumber']).toBe(2);
        expect((await storeError(() => store.records.update(flowmachineEntity, M1, { name: 'm3' }, 1))).code).toBe('PreconditionFailed');
        expect((await storeError(() => store.records.delete(flowmachineEntity, M1, 1))).code).toBe('PreconditionFailed');
        await store.records.delete(flowmachineEntity, M1, 2);
        expect(await store.records.get(flowmachineEntity, M1)).toBeUndefined();
      });
    });
  });
}
