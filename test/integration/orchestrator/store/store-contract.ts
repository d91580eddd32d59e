import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackgroundOperationState, BackgroundOperationStatus, LogLevel, LogType, SessionState, SessionStatus } from '../../../../shared/option-sets.js';
import { flowlogEntity, flowmachineEntity, type FlowSession } from '../../../../shared/records/index.js';
import { checkFilter, parseFilter } from '../../../../orchestrator/odata/index.js';
import { StoreError, type Store, type Values } from '../../../../orchestrator/store/store.js';

/** Opens a fresh, empty store; `close` closes and removes it. */
export type StoreFactory = () => { store: Store; close: () => void };

const S = SessionStatus.v;
const WF = '0a000000-0000-4000-8000-000000000001';
const M1 = '0b000000-0000-4000-8000-000000000001';
const M2 = '0b000000-0000-4000-8000-000000000002';
const G1 = '0c000000-0000-4000-8000-000000000001';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('no StoreError thrown');
}

/**
 * What every store engine must do, written once: run it against each (`storeContract('SQLite', …)`). Covers each
 * repository method, versions (ETags), conflicts, transactions and the crash-safe commit's ordering.
 */
export function storeContract(engine: string, open: StoreFactory): void {
  describe(`store contract: ${engine}`, () => {
    let store: Store;
    let close: () => void;
    beforeEach(() => ({ store, close } = open()));
    afterEach(() => close());

    const session = (values: Values<FlowSession>): FlowSession =>
      store.sessions.insert({ _regardingobjectid_value: WF, statecode: SessionState.v.Active, statuscode: S.Waiting, ...values });

    describe('entity repositories', () => {
      it('insert fills key, times and version 1; get returns the typed record with every field', () => {
        const m = store.machines.insert({ name: 'm1', connected: true, sessioncapacity: 2 });
        expect(m.flowmachineid).toMatch(/^[0-9a-f-]{36}$/);
        expect(m.versionnumber).toBe(1);
        expect(m.createdon).toBe(m.modifiedon);
        expect(m.connected).toBe(true);
        expect(m.paused).toBeNull();
        expect(store.machines.get(m.flowmachineid!)).toEqual(m);
        expect(store.machines.get(M2)).toBeUndefined();
      });

      it('update bumps the version; a stale ifVersion is PreconditionFailed; a missing id NotFound', () => {
        const m = store.machines.insert({ flowmachineid: M1, name: 'm1' });
        const changed = store.machines.update(M1, { name: 'renamed' }, 1);
        expect(changed).toMatchObject({ name: 'renamed', versionnumber: 2 });
        expect(storeError(() => store.machines.update(M1, { name: 'again' }, 1)).code).toBe('PreconditionFailed');
        expect(store.machines.get(M1)?.name).toBe('renamed');
        expect(storeError(() => store.machines.update(M2, { name: 'x' })).code).toBe('NotFound');
        expect(m.versionnumber).toBe(1);
      });

      it('patch bumps the version without reading back; false for a missing id', () => {
        store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect(store.machines.patch(M1, { freeslots: 3 })).toBe(true);
        expect(store.machines.get(M1)).toMatchObject({ freeslots: 3, versionnumber: 2 });
        expect(store.machines.patch(M2, { freeslots: 3 })).toBe(false);
      });

      it('delete honours ifVersion; a missing id is NotFound', () => {
        store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect(storeError(() => store.machines.delete(M1, 7)).code).toBe('PreconditionFailed');
        store.machines.delete(M1, 1);
        expect(store.machines.get(M1)).toBeUndefined();
        expect(storeError(() => store.machines.delete(M1)).code).toBe('NotFound');
      });

      it('a duplicate key, or a group name that differs only in case, is Conflict', () => {
        store.machines.insert({ flowmachineid: M1, name: 'm1' });
        expect(storeError(() => store.machines.insert({ flowmachineid: M1, name: 'm2' })).code).toBe('Conflict');
        store.groups.insert({ name: 'Night shift' });
        expect(storeError(() => store.groups.insert({ name: 'NIGHT SHIFT' })).code).toBe('Conflict');
      });
    });

    describe('intent queries', () => {
      it('sessions: open counts per machine, workflow and group leave terminal sessions out', () => {
        session({ _machineid_value: M1, _machinegroupid_value: G1 });
        session({ _machineid_value: M1, _machinegroupid_value: G1, statuscode: S.Running });
        session({ _machineid_value: M1, _machinegroupid_value: G1, statuscode: S.Succeeded });
        session({ _machineid_value: M2, statuscode: S.Cancelled, statecode: SessionState.v.Inactive });
        expect(store.sessions.countOpenForMachine(M1)).toBe(2);
        expect(store.sessions.countOpenForMachine(M2)).toBe(0);
        expect(store.sessions.countOpenForWorkflow(WF)).toBe(2);
        expect(store.sessions.countOpenForGroup(G1)).toBe(2);
      });

      it('sessions: waiting in queue order, open assigned, unsplit inputs', () => {
        const b = session({ name: 'b', createdon: '2026-01-02T00:00:00.000Z' });
        const a = session({ name: 'a', createdon: '2026-01-01T00:00:00.000Z', _machineid_value: M1 });
        session({ name: 'running', statuscode: S.Running, _machineid_value: M2, inputs: '{"x":1}' });
        session({ name: 'done', statuscode: S.Failed, _machineid_value: M2 });
        expect(store.sessions.waitingInQueueOrder().map((s) => s.name)).toEqual([a.name, b.name]);
        expect(store.sessions.openAssigned().map((s) => s.name).sort()).toEqual(['a', 'running']);
        expect(store.sessions.withUnsplitInputs(WF.toUpperCase()).map((s) => s.name)).toEqual(['running']);
      });

      it('machines: all, connected, in a group; groups by name ignoring case', () => {
        const g = store.groups.insert({ flowmachinegroupid: G1, name: 'Night shift' });
        store.machines.insert({ flowmachineid: M1, name: 'm1', connected: true, _flowmachinegroupid_value: G1 });
        store.machines.insert({ flowmachineid: M2, name: 'm2', connected: false });
        expect(store.machines.all().map((m) => m.name).sort()).toEqual(['m1', 'm2']);
        expect(store.machines.connected().map((m) => m.name)).toEqual(['m1']);
        expect(store.machines.inGroup(G1).map((m) => m.name)).toEqual(['m1']);
        expect(store.groups.byName('NIGHT shift')).toEqual(g);
        expect(store.groups.byName('day shift')).toBeUndefined();
        expect(store.groups.all()).toEqual([g]);
      });

      it('workflows with secret inputs; operations open or ready by name prefix', () => {
        store.workflows.insert({ name: 'plain', clientdata: '{}', inputschema: '{"type":"object"}' });
        store.workflows.insert({ name: 'secret', clientdata: '{}', inputschema: '{"properties":{"p":{"type":"string","x-secret":true}}}' });
        expect(store.workflows.withSecretInputs().map((w) => w.name)).toEqual(['secret']);
        const St = BackgroundOperationState.v;
        const op = (name: string, statecode: number) => store.operations.insert({ name, statecode, statuscode: BackgroundOperationStatus.v.InProgress });
        op('bulk: a', St.Ready);
        op('bulk: b', St.Locked);
        op('bulk: c', St.Completed);
        op('callback x', St.Ready);
        op('bulk_ d', St.Ready);
        expect(store.operations.openWithPrefix('bulk:').map((o) => o.name).sort()).toEqual(['bulk: a', 'bulk: b']);
        expect(store.operations.readyWithPrefix('callback ').map((o) => o.name)).toEqual(['callback x']);
      });

      it('logs: bulk insert, a session\'s rows in seq order, last seq per session, delete for a session', () => {
        const S1 = session({}).flowsessionid!;
        const S2 = session({}).flowsessionid!;
        expect(store.logs.lastSeq(S1)).toBeUndefined();
        const line = (sessionId: string, seq: number) => ({ _flowsessionid_value: sessionId, seq, type: LogType.v.CustomLog, level: LogLevel.v.Information, data: '"x"' });
        store.logs.insertMany(Array.from({ length: 130 }, (_, i) => line(S1, i)));
        store.logs.insertMany([line(S2, 0)]);
        expect(store.logs.lastSeq(S1.toUpperCase())).toBe(129);
        expect(store.logs.forSession(S1.toUpperCase()).map((l) => l.seq)).toEqual(Array.from({ length: 130 }, (_, i) => i));
        expect(store.logs.forSession(S2).map((l) => [l.flowlogid.length, l.data])).toEqual([[36, '"x"']]);
        expect(store.records.count(flowlogEntity, checkFilter(flowlogEntity, parseFilter(`_flowsessionid_value eq ${S1}`)))).toBe(130);
        store.logs.deleteForSession(S1);
        expect(store.logs.lastSeq(S1)).toBeUndefined();
        expect(store.logs.lastSeq(S2)).toBe(0);
      });

      it('screenshots: one per session (a later one replaces it), read by the stored key, gone with the session', () => {
        const S1 = session({}).flowsessionid!;
        const S2 = session({}).flowsessionid!;
        const png = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, n]);
        expect(store.screenshots.forSession(S1)).toBeUndefined();
        store.screenshots.put({ flowsessionid: S1, takenon: '2030-01-01T00:00:00.000Z', png: png(1) });
        store.screenshots.put({ flowsessionid: S1, takenon: '2030-01-01T00:00:01.000Z', png: png(2) });
        store.screenshots.put({ flowsessionid: S2, takenon: '2030-01-01T00:00:02.000Z', png: png(3) });
        expect(store.screenshots.forSession(S1)).toEqual({ flowsessionid: S1, takenon: '2030-01-01T00:00:01.000Z', png: png(2) });
        store.sessions.delete(S1);
        expect(store.screenshots.forSession(S1)).toBeUndefined();
        expect(store.screenshots.forSession(S2)?.png).toEqual(png(3));
      });
    });

    describe('queue state', () => {
      it('applied seq, assignment, target, pending cancel and the masked marker round-trip; cleared ones read as unset', () => {
        const q = store.queueState;
        expect(q.appliedSeq(M1)).toBe(0);
        q.setAppliedSeq(M1, 42);
        expect(q.appliedSeq(M1)).toBe(42);
        expect(q.assignment('s1')).toBeUndefined();
        q.setAssignment('s1', { machineId: M1, state: 'offered', at: '2026-01-01T00:00:00.000Z' });
        expect(q.assignment('s1')).toEqual({ machineId: M1, state: 'offered', at: '2026-01-01T00:00:00.000Z' });
        q.setAssignment('s1', undefined);
        expect(q.assignment('s1')).toBeUndefined();
        expect(q.target('s1')).toBeUndefined();
        q.setTarget('s1', null);
        expect(q.target('s1')).toBeNull();
        q.setTarget('s1', M2);
        expect(q.target('s1')).toBe(M2);
        expect(q.pendingCancel('s1')).toBeNull();
        q.setPendingCancel('s1', 'timeout');
        expect(q.pendingCancel('s1')).toBe('timeout');
        q.setPendingCancel('s1', null);
        expect(q.pendingCancel('s1')).toBeNull();
        expect(q.secretInputsMaskedAt()).toBeUndefined();
        q.setSecretInputsMasked('2026-01-01T00:00:00.000Z');
        expect(q.secretInputsMaskedAt()).toBe('2026-01-01T00:00:00.000Z');
        expect(q.serviceIdentity()).toBeUndefined();
        const identity = { organizationId: M1, businessUnitId: M2, userId: '00000000-0000-4000-8000-0000000000f1' };
        q.setServiceIdentity(identity);
        expect(q.serviceIdentity()).toEqual(identity);
      });
    });

    describe('records (the Web API generic path)', () => {
      const filter = (text: string) => checkFilter(flowmachineEntity, parseFilter(text));

      it('lists by a checked filter, order, top and skip; counts by filter', () => {
        for (const [name, freeslots] of [['b', 1], ['A', 2], ['c', null]] as const) store.records.insert(flowmachineEntity, { name, freeslots });
        const names = (q: Parameters<Store['records']['list']>[1]) => store.records.list(flowmachineEntity, q).map((r) => r['name']);
        expect(names({ orderBy: [{ field: 'name', descending: false }] })).toEqual(['A', 'b', 'c']);
        expect(names({ orderBy: [{ field: 'name', descending: true }], top: 2 })).toEqual(['c', 'b']);
        expect(names({ orderBy: [{ field: 'name', descending: false }], skip: 1 })).toEqual(['b', 'c']);
        expect(names({ filter: filter("name eq 'a'") })).toEqual(['A']);
        expect(names({ filter: filter('freeslots ne null'), orderBy: [{ field: 'freeslots', descending: true }] })).toEqual(['A', 'b']);
        expect(names({ filter: filter("contains(name,'%')") })).toEqual([]);
        expect(store.records.count(flowmachineEntity)).toBe(3);
        expect(store.records.count(flowmachineEntity, filter('not (freeslots gt 1)'))).toBe(2);
      });

      it('get / update with versions / delete by EntityDef', () => {
        const r = store.records.insert(flowmachineEntity, { flowmachineid: M1, name: 'm1' });
        expect(store.records.get(flowmachineEntity, M1)).toEqual(r);
        expect(store.records.update(flowmachineEntity, M1, { name: 'm2' }, 1)['versionnumber']).toBe(2);
        expect(storeError(() => store.records.update(flowmachineEntity, M1, { name: 'm3' }, 1)).code).toBe('PreconditionFailed');
        expect(storeError(() => store.records.delete(flowmachineEntity, M1, 1)).code).toBe('PreconditionFailed');
        store.records.delete(flowmachineEntity, M1, 2);
        expect(store.records.get(flowmachineEntity, M1)).toBeUndefined();
      });
    });

    describe('transactions', () => {
      it('rolls back every write of a transaction that throws, queue state included', () => {
        expect(() =>
          store.transaction((tx) => {
            tx.machines.insert({ flowmachineid: M1, name: 'm1' });
            tx.queueState.setAppliedSeq(M1, 5);
            throw new Error('boom');
          }),
        ).toThrow('boom');
        expect(store.machines.get(M1)).toBeUndefined();
        expect(store.queueState.appliedSeq(M1)).toBe(0);
      });

      it('a nested transaction joins the outer one', () => {
        expect(() =>
          store.transaction((tx) => {
            store.transaction((inner) => inner.machines.insert({ flowmachineid: M1, name: 'm1' }));
            expect(tx.machines.get(M1)?.name).toBe('m1');
            throw new Error('outer');
          }),
        ).toThrow('outer');
        expect(store.machines.get(M1)).toBeUndefined();
      });

      it('a crash-safe transaction commits at once; afterDurable runs after, in call order', async () => {
        const ran: string[] = [];
        store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M1, name: 'm1' }));
        store.afterDurable(() => ran.push(`first ${store.machines.get(M1)?.name}`), (err) => ran.push(err.message));
        store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M2, name: 'm2' }));
        store.afterDurable(() => ran.push('second'), (err) => ran.push(err.message));
        expect(store.machines.get(M1)?.name).toBe('m1');
        while (ran.length < 2) await turn();
        expect(ran).toEqual(['first m1', 'second']);
      });

      it('a crash-safe transaction that throws rolls back', () => {
        expect(() =>
          store.crashSafeTransaction((tx) => {
            tx.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Waiting });
            throw new Error('boom');
          }),
        ).toThrow('boom');
        expect(store.sessions.waitingInQueueOrder()).toEqual([]);
      });
    });
  });
}
