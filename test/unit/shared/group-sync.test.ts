import { closeSync, fdatasync, fdatasyncSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupSync, WalGroupSync } from '../../../shared/group-sync.js';
import { tempDir } from '../../support/temp-dir.js';

/** A GroupSync whose syncs and deferred turns are run by the test, one step at a time. */
function harness(startUnsynced = false) {
  const syncs: ((err: Error | null) => void)[] = [];
  const turns: (() => void)[] = [];
  const log: string[] = [];
  const group = new GroupSync({ startUnsynced, defer: (fn) => turns.push(fn), sync: (done) => syncs.push(done) });
  const turn = () => turns.splice(0).forEach((fn) => fn());
  const waiter = (name: string) => (err: Error | null) => log.push(err ? `${name}: ${err.message}` : name);
  return { group, syncs, turn, log, waiter };
}

describe('GroupSync', () => {
  it('tells a waiter at once when nothing is pending, and after one sync for all commits of a turn', () => {
    const h = harness();
    h.group.wait(h.waiter('idle'));
    expect(h.log).toEqual(['idle']);
    h.group.committed();
    h.group.wait(h.waiter('a'));
    h.group.committed();
    h.group.wait(h.waiter('b'));
    h.turn();
    expect(h.syncs).toHaveLength(1);
    expect(h.log).toEqual(['idle']);
    h.syncs.shift()!(null);
    expect(h.log).toEqual(['idle', 'a', 'b']);
    expect(h.group.isSynced).toBe(true);
  });

  it('keeps the order of waiters: a commit made during a sync waits for the next one, and so does everyone behind it', () => {
    const h = harness();
    h.group.committed();
    h.group.wait(h.waiter('first'));
    h.turn();
    h.group.committed();
    h.group.wait(h.waiter('during'));
    h.syncs.shift()!(null);
    expect(h.log).toEqual(['first']);
    h.turn();
    expect(h.syncs).toHaveLength(1);
    h.syncs.shift()!(null);
    expect(h.log).toEqual(['first', 'during']);
  });

  it('a fresh wait gets a sync of its own, with its capture run just before that sync starts', () => {
    const h = harness();
    let captured = 0;
    let counter = 1;
    h.group.wait(h.waiter('fresh'), { onSyncStart: () => (captured = counter) });
    counter = 2;
    h.turn();
    expect(captured).toBe(2);
    expect(h.syncs).toHaveLength(1);
    h.syncs.shift()!(null);
    expect(h.log).toEqual(['fresh']);
  });

  it('starts unsynced when asked (a killed predecessor), and fails every waiter on a sync error or a close', () => {
    const h = harness(true);
    h.group.wait(h.waiter('after-start'));
    h.turn();
    h.syncs.shift()!(new Error('EIO'));
    expect(h.log).toEqual(['after-start: EIO']);
    h.group.wait(h.waiter('pending'));
    h.group.close();
    h.group.wait(h.waiter('late'));
    expect(h.log).toEqual(['after-start: EIO', 'pending: the store closed before its commits were synced', 'late: the store is closed']);
  });

  it('allSynced: a synchronous fsync covered everything', () => {
    const h = harness(true);
    h.group.committed();
    h.group.allSynced();
    h.group.wait(h.waiter('now'));
    expect(h.log).toEqual(['now']);
  });
});

describe('WalGroupSync', () => {
  const fs = { openSync, fdatasync, fdatasyncSync, closeSync };

  it('syncs a real WAL file on the thread pool, and uses the fallback while there is no file', async () => {
    const path = join(tempDir(), 'store.db-wal');
    let fallbacks = 0;
    const wal = new WalGroupSync({ path, fs, fallback: () => fallbacks++, defer: setImmediate, startUnsynced: true });
    const waited = () => new Promise<void>((resolve, reject) => wal.wait((err) => (err ? reject(err) : resolve())));
    await waited();
    expect(fallbacks).toBe(1);
    writeFileSync(path, 'frames');
    wal.committed();
    expect(wal.isSynced).toBe(false);
    await waited();
    expect([wal.isSynced, fallbacks]).toEqual([true, 1]);
    wal.committed();
    wal.syncNow();
    expect(wal.isSynced).toBe(true);
    wal.close();
    await expect(waited()).rejects.toThrow('the store is closed');
  });
});
