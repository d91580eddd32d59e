import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionStatus } from '../../../../shared/option-sets.js';
import type { Store } from '../../../../orchestrator/store/store.js';
import { M1, M2, WF, type StoreFactory } from './store-contract.js';

const S = SessionStatus.v;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The transactions every store engine runs alike: all or nothing, nested calls joining, the store refused inside,
 * isolation from concurrent transactions, and the order in which `afterDurable` runs after crash-safe commits.
 */
export function storeTransactionContract(engine: string, open: StoreFactory): void {
  describe(`store contract, transactions: ${engine}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let transactionsTakeTurns: boolean;
    beforeEach(async () => ({ store, close, transactionsTakeTurns } = await open()));
    afterEach(() => close());

    describe('transactions', () => {
      it('rolls back every write of a transaction that rejects, queue state included', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.machines.insert({ flowmachineid: M1, name: 'm1' });
            await tx.queueState.setAppliedSeq(M1, 5);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.machines.get(M1)).toBeUndefined();
        expect(await store.queueState.appliedSeq(M1)).toBe(0);
      });

      it('commits what its code wrote and answers what its code answers', async () => {
        const answer = await store.transaction(async (tx) => {
          await tx.machines.insert({ flowmachineid: M1, name: 'm1' });
          await tx.queueState.setAppliedSeq(M1, 5);
          return (await tx.machines.get(M1))?.name;
        });
        expect(answer).toBe('m1');
        expect(await store.queueState.appliedSeq(M1)).toBe(5);
      });

      it('a nested transaction joins the outer one', async () => {
        await expect(
          store.transaction(async (tx) => {
            await store.transaction((inner) => inner.machines.insert({ flowmachineid: M1, name: 'm1' }));
            await store.crashSafeTransaction((inner) => inner.machines.insert({ flowmachineid: M2, name: 'm2' }));
            expect((await tx.machines.get(M1))?.name).toBe('m1');
            expect((await tx.machines.get(M2))?.name).toBe('m2');
            throw new Error('outer');
          }),
        ).rejects.toThrow('outer');
        expect(await store.machines.get(M1)).toBeUndefined();
        expect(await store.machines.get(M2)).toBeUndefined();
      });

      it("a call on the store itself from inside a transaction's code is refused; its tx is refused once it ended", async () => {
        let kept: Store['machines'] | undefined;
        await expect(
          store.transaction(async (tx) => {
            kept = tx.machines;
            await expect(store.logs.insertMany([{ _flowsessionid_value: WF, seq: 0 }])).rejects.toThrow('a transaction used the store itself: use its tx');
            await store.machines.get(M1);
          }),
        ).rejects.toThrow('a transaction used the store itself: use its tx');
        await expect(kept!.get(M1)).rejects.toThrow("a transaction's tx was used after its transaction ended");
        expect(await store.machines.get(M1)).toBeUndefined();
      });

      it("concurrent transactions do not see each other's uncommitted writes", async () => {
        let inserted!: () => void;
        const hasInserted = new Promise<void>((resolve) => (inserted = resolve));
        let seen!: () => void;
        const otherHasSeen = new Promise<void>((resolve) => (seen = resolve));
        const writer = store.transaction(async (tx) => {
          await tx.machines.insert({ flowmachineid: M1, name: 'uncommitted' });
          inserted();
          // An engine running transactions in turn cannot start the reader before this one ends.
          if (!transactionsTakeTurns) await otherHasSeen;
          throw new Error('rolled back');
        });
        await hasInserted;
        const [inTransaction, onStore] = await Promise.all([store.transaction((tx) => tx.machines.get(M1)), store.machines.get(M1)]);
        seen();
        await expect(writer).rejects.toThrow('rolled back');
        expect(inTransaction).toBeUndefined();
        expect(onStore).toBeUndefined();
        expect(await store.machines.get(M1)).toBeUndefined();
      });

      it("statements a transaction's code issues at once take turns on its connection (no driver warning), all committed", async () => {
        const warnings: string[] = [];
        const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
        process.on('warning', onWarning);
        try {
          const [a, b, all] = await store.transaction(async (tx) =>
            Promise.all([tx.machines.insert({ flowmachineid: M1, name: 'a' }), tx.machines.insert({ flowmachineid: M2, name: 'b' }), tx.machines.all()]),
          );
          expect([a.name, b.name]).toEqual(['a', 'b']);
          expect(all.map((m) => m.name).sort()).toEqual(['a', 'b']);
          expect((await store.machines.all()).map((m) => m.name).sort()).toEqual(['a', 'b']);
          await new Promise<void>((resolve) => setImmediate(resolve));
          expect(warnings).toEqual([]);
        } finally {
          process.off('warning', onWarning);
        }
      });

      it('concurrent transactions each commit their own writes', async () => {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.transaction(async (tx) => {
              await tx.queueState.setAppliedSeq(`m${i}`, i + 1);
              await tx.machines.insert({ name: `m${i}` });
            }),
          ),
        );
        expect((await store.machines.all()).length).toBe(8);
        expect(await store.queueState.appliedSeq('m7')).toBe(8);
      });

      it('a crash-safe transaction commits at once; afterDurable runs after, in call order', async () => {
        const ran: string[] = [];
        const first = store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M1, name: 'm1' }));
        await first;
        store.afterDurable(() => ran.push('first'), (err) => ran.push(err.message));
        const second = store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: M2, name: 'm2' }));
        await second;
        store.afterDurable(() => ran.push('second'), (err) => ran.push(err.message));
        store.afterDurable(() => ran.push('third'), (err) => ran.push(err.message));
        expect((await store.machines.get(M1))?.name).toBe('m1');
        while (ran.length < 3) await turn();
        expect(ran).toEqual(['first', 'second', 'third']);
      });

      it('afterDurable called while a commit is on its way runs once it returned; with nothing pending, at once', async () => {
        const ran: string[] = [];
        await store.machines.all();
        store.afterDurable(() => ran.push('idle'), (err) => ran.push(err.message));
        if (!transactionsTakeTurns) expect(ran).toEqual(['idle']);
        const commit = store
          .crashSafeTransaction(async (tx) => {
            await tx.machines.insert({ flowmachineid: M1, name: 'm1' });
            // Runs once this code has returned and the commit is sent, before its answer can have been read.
            setImmediate(() => store.afterDurable(() => ran.push('durable'), (err) => ran.push(err.message)));
          })
          .then(() => ran.push('committed'));
        await commit;
        while (!ran.includes('durable')) await turn();
        expect(ran.filter((r) => r !== 'idle')).toEqual(['committed', 'durable']);
        expect(ran).toContain('idle');
      });

      it('claimOffer: only a Waiting session without an assignment is claimed; once claimed, no second claim', async () => {
        const offer = (machineId: string) => ({ machineId, state: 'offered' as const, at: '2026-01-01T00:00:00.000Z' });
        const waiting = (await store.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Waiting })).flowsessionid;
        const running = (await store.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Running })).flowsessionid;
        expect(await store.transaction((tx) => tx.queueState.claimOffer(running, offer(M1)))).toBe(false);
        expect(await store.transaction((tx) => tx.queueState.claimOffer('no-guid', offer(M1)))).toBe(false);
        expect(await store.transaction((tx) => tx.queueState.claimOffer('0d000000-0000-4000-8000-000000000009', offer(M1)))).toBe(false);
        expect(await store.transaction((tx) => tx.queueState.claimOffer(waiting, offer(M1)))).toBe(true);
        expect(await store.transaction((tx) => tx.queueState.claimOffer(waiting, offer(M2)))).toBe(false);
        expect(await store.queueState.assignment(waiting)).toEqual(offer(M1));
        // Taken back (requeued): claimable again; a claim rolled back leaves it claimable.
        await store.queueState.setAssignment(waiting, undefined);
        await expect(
          store.transaction(async (tx) => {
            expect(await tx.queueState.claimOffer(waiting, offer(M2))).toBe(true);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.queueState.assignment(waiting)).toBeUndefined();
        expect(await store.transaction((tx) => tx.queueState.claimOffer(waiting, offer(M2)))).toBe(true);
      });

      it('setWaitingReason: written for a Waiting session without an assignment only', async () => {
        const waiting = (await store.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Waiting })).flowsessionid;
        const running = (await store.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Running })).flowsessionid;
        expect(await store.transaction((tx) => tx.sessions.setWaitingReason(waiting, 'NoMachineAvailable'))).toBe(true);
        expect((await store.sessions.get(waiting))?.queuereason).toBe('NoMachineAvailable');
        expect(await store.transaction((tx) => tx.sessions.setWaitingReason(running, 'NoMachineAvailable'))).toBe(false);
        expect(await store.transaction((tx) => tx.sessions.setWaitingReason('no-guid', 'NoMachineAvailable'))).toBe(false);
        await store.transaction((tx) => tx.queueState.claimOffer(waiting, { machineId: M1, state: 'offered', at: '2026-01-01T00:00:00.000Z' }));
        expect(await store.transaction((tx) => tx.sessions.setWaitingReason(waiting, 'MachineBusy'))).toBe(false);
        expect((await store.sessions.get(waiting))?.queuereason).toBe('NoMachineAvailable');
      });

      it('claimOffer: of transactions claiming the same sessions at once, at most one wins each, and none waits for another', async () => {
        const ids = await Promise.all(Array.from({ length: 5 }, async () => (await store.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Waiting })).flowsessionid));
        const claims = await Promise.all(
          [M1, M2, M1, M2].map((machineId, i) =>
            store.transaction(async (tx) => {
              const won: string[] = [];
              // In different orders, so that waiting for each other would deadlock.
              for (const id of i % 2 === 0 ? ids : [...ids].reverse()) if (await tx.queueState.claimOffer(id, { machineId, state: 'offered', at: `2026-01-01T00:00:0${i}.000Z` })) won.push(id);
              await turn();
              return won;
            }),
          ),
        );
        // A claim skipped because another held the row may leave a session unclaimed this round, never claimed twice.
        const won = claims.flat();
        expect(new Set(won).size).toBe(won.length);
        for (const id of won) expect(await store.queueState.assignment(id)).toBeDefined();
        for (const id of ids.filter((id) => !won.includes(id))) expect(await store.queueState.assignment(id)).toBeUndefined();
        expect(won.length).toBeGreaterThan(0);
      });

      it('a crash-safe transaction that rejects rolls back', async () => {
        await expect(
          store.crashSafeTransaction(async (tx) => {
            await tx.sessions.insert({ _regardingobjectid_value: WF, statuscode: S.Waiting });
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.sessions.waitingInQueueOrder()).toEqual([]);
      });
    });
  });
}
